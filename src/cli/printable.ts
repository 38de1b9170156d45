/**
 * Text from a container or a node (a probe's output, an engine's error, an event's message) as the CLI prints it: its
 * control characters escaped (`\x1b`, `\n`), so that no one can move the cursor, rewrite the screen or set the title
 * of the admin's terminal through a message. Logs and exec are the exception: they are the container's own stream.
 */
export function printable(text: string): string {
  // C0 controls, DEL and C1 controls.
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (char) => {
    const named: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[char] ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
}

/** The same, line by line: for a text whose lines are meant (a refusal that lists its problems). */
export function printableLines(text: string): string {
  return text.split("\n").map(printable).join("\n");
}
