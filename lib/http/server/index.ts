/**
 * The green HTTP/1.1 server: {@link serve} a fetch-style handler, each request in a green thread.
 */
export { serve, HttpServer } from './server';
export type { HttpServeOptions, StopOptions } from './server';
export type { Handler, IncomingBody, RequestInfo } from './connection';
export type { ResponseLike } from './response';
export type { BodyInit } from './body-source';
export type { HeadLimits } from '../limits';
export type { AccessLogEntry, AccessLogFormat, AccessLogOption } from './log';
export { commonFormat, combinedFormat } from './log';
export { BadRequestError, BodyTooLargeError, IncompleteBodyError, InvalidResponseError } from './errors';
