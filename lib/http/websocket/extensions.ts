/**
 * The Sec-WebSocket-Extensions header (RFC 6455 §9.1): a comma-separated list of extensions, each a token with
 * `; name[=value]` parameters, where a value is a token or a quoted string.
 */

/** One extension of the list, with its parameters in order (a parameter without a value is `true`). */
export interface ExtensionItem {
  readonly name: string;
  readonly params: ReadonlyArray<readonly [string, string | true]>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

/** Parses the header's value (every occurrence, joined by commas); throws a SyntaxError naming the problem. */
export function parseExtensions(value: string): ExtensionItem[] {
  const items: ExtensionItem[] = [];
  let rest = value;
  const skipSpace = () => {
    rest = rest.replace(/^[ \t]+/, '');
  };
  const token = (what: string): string => {
    skipSpace();
    const match = TOKEN.exec(rest);
    if (match === null) throw new SyntaxError(`expected ${what} at ${JSON.stringify(rest.slice(0, 40))} in ${JSON.stringify(value)}`);
    rest = rest.slice(match[0].length);
    skipSpace();
    return match[0];
  };
  for (;;) {
    skipSpace();
    if (rest.startsWith(',')) {
      rest = rest.slice(1); // empty list elements are allowed (RFC 9110 §5.6.1)
      continue;
    }
    if (rest === '') return items;
    const name = token('an extension name');
    const params: [string, string | true][] = [];
    while (rest.startsWith(';')) {
      rest = rest.slice(1);
      const param = token('a parameter name');
      let paramValue: string | true = true;
      if (rest.startsWith('=')) {
        rest = rest.slice(1);
        skipSpace();
        if (rest.startsWith('"')) {
          const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
          if (quoted === null) throw new SyntaxError(`an unterminated quoted string in ${JSON.stringify(value)}`);
          paramValue = quoted[1].replace(/\\(.)/g, '$1');
          rest = rest.slice(quoted[0].length);
          // §9.1: a quoted value must still be a token once unquoted.
          if (!TOKEN.test(paramValue) || TOKEN.exec(paramValue)![0] !== paramValue) {
            throw new SyntaxError(`the quoted value ${JSON.stringify(paramValue)} is not a token in ${JSON.stringify(value)}`);
          }
          skipSpace();
        } else paramValue = token('a parameter value');
      }
      params.push([param.toLowerCase(), paramValue]);
    }
    items.push({ name: name.toLowerCase(), params });
    skipSpace();
    if (rest === '') return items;
    if (!rest.startsWith(',')) throw new SyntaxError(`expected "," or ";" at ${JSON.stringify(rest.slice(0, 40))} in ${JSON.stringify(value)}`);
  }
}

/** Formats one extension for the header. */
export function formatExtension(item: ExtensionItem): string {
  return [item.name, ...item.params.map(([name, v]) => (v === true ? name : `${name}=${v}`))].join('; ');
}
