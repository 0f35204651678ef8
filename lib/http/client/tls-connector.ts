/**
 * The https: transport: a green TLS connection (lib/net/tls), verifying the server's certificate for the URL's
 * host with the system CAs unless the pool's `tls` options say otherwise, and offering ALPN "http/1.1".
 */
import { type WrapTlsOptions, connectTls } from '../../net/tls/socket';
import { type Connector, registerTlsConnector } from './connector';

/** TLS options of a client pool: a CA of your own, client certificates, `rejectUnauthorized`, ... */
export type HttpsOptions = Omit<WrapTlsOptions, 'serverSide' | 'servername' | 'alpnProtocols'>;

/** An https: connector with these TLS options. */
export function httpsConnector(options: HttpsOptions = {}): Connector {
  return (origin, timeout) =>
    connectTls({ host: origin.host, port: origin.port }, { ...options, timeout, noDelay: true, alpnProtocols: ['http/1.1'] });
}

registerTlsConnector(httpsConnector());
