/** Ends every exhaustive `switch` over a discriminated union: the compiler proves it is never reached. */
export function assertUnreachable(value: never): never {
  throw new Error(`Unreachable: ${JSON.stringify(value)}`);
}
