/**
 * The user's own umask, kept aside when the CLI starts (holdfast runs under 077 itself): tasks get
 * it back. A module of its own so that `main` sets it without loading a command's dependencies.
 */
let userUmask = 0o022;

export function setUserUmask(mask: number): void {
  userUmask = mask;
}

export function getUserUmask(): number {
  return userUmask;
}
