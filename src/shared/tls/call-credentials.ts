// What a client presents on each call, apart from grpc-js: the CLI's unary calls are made without it.

/** The metadata that carries the admin password. */
export const AUTHORIZATION = "authorization";

/** The admin password as a call presents it. */
export function bearer(password: string): string {
  return `Bearer ${password}`;
}

/** Where a client keeps the device cookie the leader gave it. */
export interface DeviceCookieStore {
  read(): string | undefined;
  write(cookie: string): void;
}
