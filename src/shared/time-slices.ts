/**
 * Large pieces of work (a 3 000-pod apply: validation, its transaction, placement) give the event loop back every
 * SLICE_MS, so that the other requests (a heartbeat, `cube nodes`) wait at most about that long instead of the
 * whole work's length. One budget is shared by every piece of work in a turn of the event loop: work that follows
 * other work in the same turn (promise continuations) pauses as soon as the slice is used up. 5 ms: a request needs
 * a few turns (its read, its answer), and a large apply took no longer for it.
 */
export const SLICE_MS = 5;

/** The current slice: when it began, and which it is (it ends with its turn). */
let sliceStart = 0;
let slice = 0;
let sliceOpen = false;
/** Paused work, in the order it paused: resumed first, first. */
const waiting: (() => void)[] = [];
let turnScheduled = false;

/** Begins a slice now, to end with this turn of the event loop: the next turn's first check begins another. */
function beginSlice(): void {
  const current = ++slice;
  sliceOpen = true;
  sliceStart = performance.now();
  setImmediate(() => {
    if (slice === current) sliceOpen = false;
  });
}

/** Whether the current slice is used up; the first check in a turn begins one. */
function sliceUsed(): boolean {
  if (!sliceOpen) beginSlice();
  return performance.now() - sliceStart >= SLICE_MS;
}

/**
 * Waits for a turn of the event loop (I/O handled) with slice left. Twenty paused streams (or 3 000 pods' workers) must
 * not each take a slice, or even a step, in one turn: each turn resumes paused work one piece at a time, in the order
 * it paused, while the slice lasts; what did not get to run waits at the head of the line.
 */
function pause(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    scheduleTurn();
  });
}

function scheduleTurn(): void {
  if (turnScheduled) return;
  turnScheduled = true;
  setImmediate(() => {
    turnScheduled = false;
    beginSlice();
    resumeWhileSliceLasts();
  });
}

/** Resumes the next paused work, then (once it has run up to its next pause or wait) the one after, while the slice lasts. */
function resumeWhileSliceLasts(): void {
  if (waiting.length === 0) return;
  if (sliceUsed()) return scheduleTurn();
  waiting.shift()!();
  queueMicrotask(resumeWhileSliceLasts);
}

/** Lets I/O and other requests in when the current slice is used up; at once otherwise. For loops in async code. */
export function pauseIfSliceUsed(): Promise<void> | undefined {
  return sliceUsed() ? pause() : undefined;
}

/** `items` each converted, the loop let go between two when the slice is used up: for lists of thousands. */
export async function mapInSlices<T, U>(items: Iterable<T>, convert: (item: T) => U): Promise<U[]> {
  const converted: U[] = [];
  for (const item of items) {
    converted.push(convert(item));
    await pauseIfSliceUsed();
  }
  return converted;
}

/**
 * Runs `work` to its end. Each of its `yield`s marks a point where it may pause: it does when the slice is used up.
 * The generator keeps its state (an open transaction, a half-built list) across the pauses.
 */
export async function runInSlices<T>(work: Iterator<unknown, T, undefined>): Promise<T> {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
    if (sliceUsed()) await pause();
  }
}

/** Runs `work` to its end without pausing, for callers with nothing else to serve (the CLI). */
export function runAtOnce<T>(work: Iterator<unknown, T, undefined>): T {
  for (;;) {
    const step = work.next();
    if (step.done) return step.value;
  }
}

/** Every item of `pages`, in one array (Array.fromAsync, which Node 20 lacks, then flat). */
export async function gatherPages<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const all: T[] = [];
  for await (const page of pages) for (const item of page) all.push(item);
  return all;
}
