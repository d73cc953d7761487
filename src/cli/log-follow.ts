// PURE. `logs -f` subscribes to the supervisor's line stream first and reads the log files second, so that no line
// written in between is lost. A line can then be in both: the stream caught it and the file already held it when
// it was read. Those lines are the file's last lines, in the order the stream delivered them.

/**
 * The streamed lines of one member that the file read did not already contain. `fileLines` is the whole file as
 * read after subscribing; `streamed` is what the stream delivered before the read finished, in order. The longest
 * run at the start of `streamed` that equals the end of the file is dropped.
 */
export function notYetRead(fileLines: readonly string[], streamed: readonly string[]): string[] {
  for (let j = Math.min(fileLines.length, streamed.length); j > 0; j--) {
    const from = fileLines.length - j;
    let same = true;
    for (let i = 0; i < j && same; i++) same = fileLines[from + i] === streamed[i];
    if (same) return streamed.slice(j);
  }
  return [...streamed];
}
