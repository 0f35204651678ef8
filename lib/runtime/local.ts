/**
 * Green-thread-local storage, as eventlet's `corolocal.local` (and Python's `threading.local`).
 *
 * ```ts
 * const request = local<{ id: string }>();
 * request.id = 'a';          // in one green thread
 * request.id;                // undefined in every other green thread (main included) until it sets its own
 * ```
 * Each greenlet (main included) sees its own set of attributes on the object. They live in a WeakMap keyed by the
 * greenlet, so a green thread's values become garbage once its greenlet object is (a finished green thread that
 * nobody refers to any more): nothing is kept for dead threads.
 *
 * The object is a Proxy, and every operation on it sees the current greenlet's attributes only:
 * - reading an attribute this green thread has not set gives `undefined` (or what the class defines, below);
 * - `Object.keys`, `Object.entries`, `for...in`, `JSON.stringify`, spread: this green thread's attributes;
 * - `'name' in obj`: whether this green thread set `name`, or the class (prototype) defines it;
 * - `delete obj.name`: removes this green thread's `name` only.
 * An attribute must stay configurable (`Object.defineProperty` with `configurable: false` is a TypeError), and the
 * object cannot be frozen, sealed or given another prototype: that would be for one green thread only.
 *
 * The class form gives typed attributes, defaults and methods: the constructor (with its field initializers)
 * runs once for every green thread that uses the object, on its first access (the constructing one: when it is
 * constructed), so each starts from the same defaults. It therefore takes no parameters.
 * ```ts
 * class Session extends Local {
 *   user = 'anonymous';
 *   calls = 0;
 *   touch() { return ++this.calls; }
 * }
 * const session = new Session();
 * ```
 * Methods and accessors live on the prototype, shared as usual; `#private` fields are not per green thread (they
 * belong to the object, set up once by the constructing green thread): keep per-thread state in ordinary fields.
 */
import { Greenlet, getCurrent } from './greenlet';

interface Store {
  /** The class the object was made with: re-run for each green thread that uses a subclass. */
  readonly Class: typeof Local;
  /** Each greenlet's attributes: an object whose prototype is the class prototype, so methods are found. */
  readonly attributes: WeakMap<Greenlet, object>;
}

const stores = new WeakMap<object, Store>();
// Set while a subclass constructor runs again to set up one green thread's attributes (see `attributesOf`).
let rerun: { target: Local; Class: typeof Local; greenlet: Greenlet } | null = null;

/**
 * An object whose attributes are per green thread: see the module documentation. Use {@link local}, or extend it
 * for typed attributes with defaults.
 */
export class Local {
  constructor() {
    if (rerun !== null && new.target === rerun.Class && getCurrent() === rerun.greenlet) {
      // The re-run for one more green thread: its field initializers and constructor write through a second
      // view of the same object into that green thread's fresh attributes.
      const target = rerun.target;
      rerun = null;
      return new Proxy(target, handler);
    }
    if (new.target.length > 0) {
      throw new TypeError(
        `${new.target.name || 'a Local subclass'}: a Local's constructor takes no parameters, as it runs again, ` +
          'without arguments, in every green thread that uses the object',
      );
    }
    const attributes = new WeakMap<Greenlet, object>();
    // The constructing green thread's attributes exist from the start: its constructor fills them in.
    attributes.set(getCurrent(), Object.create(new.target.prototype));
    stores.set(this, { Class: new.target, attributes });
    return new Proxy(this, handler);
  }

  /** What `console.log` and `util.inspect` show: the current green thread's attributes. */
  [Symbol.for('nodejs.util.inspect.custom')](
    _depth: number,
    options: object,
    inspect: (value: unknown, options: object) => string,
  ): string {
    // Node inspects a proxy's target, not its traps: hand it a copy of what this green thread sees.
    return `${this.constructor.name} ${inspect({ ...this }, options)}`;
  }
}

/**
 * An object whose attributes are per green thread (each greenlet, main included, sees its own). `T` types the
 * attributes; each may be absent in a green thread that has not set it.
 */
export function local<T extends object = Record<string, any>>(): Partial<T> {
  return new Local() as Partial<T>;
}

// The current greenlet's attributes. A plain Local creates them only to store something; a subclass creates
// them, by running its constructor for this greenlet, on any first access, so that its defaults are there.
function attributesOf(target: Local, create: boolean): object | undefined {
  const store = stores.get(target)!;
  const self = getCurrent();
  let own = store.attributes.get(self);
  if (own !== undefined || (!create && store.Class === Local)) return own;
  own = Object.create(store.Class.prototype) as object;
  store.attributes.set(self, own);
  if (store.Class !== Local) {
    rerun = { target, Class: store.Class, greenlet: self };
    try {
      Reflect.construct(store.Class, []);
    } catch (error) {
      store.attributes.delete(self);
      throw error;
    } finally {
      rerun = null;
    }
  }
  return own;
}

function refuse(what: string): never {
  throw new TypeError(`a Local object cannot ${what}: each green thread has its own attributes on it`);
}

const handler: ProxyHandler<Local> = {
  get(target, key, receiver) {
    return Reflect.get(attributesOf(target, false) ?? Object.getPrototypeOf(target), key, receiver);
  },
  set(target, key, value, receiver) {
    // Through the receiver, so that setters of the class run, and new attributes come back to defineProperty.
    return Reflect.set(attributesOf(target, true)!, key, value, receiver);
  },
  has(target, key) {
    return Reflect.has(attributesOf(target, false) ?? Object.getPrototypeOf(target), key);
  },
  deleteProperty(target, key) {
    const own = attributesOf(target, false);
    return own === undefined || Reflect.deleteProperty(own, key);
  },
  ownKeys(target) {
    const own = attributesOf(target, false);
    return own === undefined ? [] : Reflect.ownKeys(own);
  },
  getOwnPropertyDescriptor(target, key) {
    const own = attributesOf(target, false);
    return own === undefined ? undefined : Reflect.getOwnPropertyDescriptor(own, key);
  },
  defineProperty(target, key, descriptor) {
    // A proxy may only report configurable properties that its target does not have.
    if (descriptor.configurable === false) refuse(`have a non-configurable attribute (${String(key)})`);
    return Reflect.defineProperty(attributesOf(target, true)!, key, { ...descriptor, configurable: true });
  },
  preventExtensions() {
    return refuse('be frozen, sealed or made non-extensible');
  },
  setPrototypeOf() {
    return refuse('change its prototype');
  },
};
