/** A problem with how the command was called (exit code 2), as opposed to a failed gate (1). */
export class UsageError extends Error {}
