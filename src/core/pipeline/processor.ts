// The processor contract (docs/pipelines.md, "Custom processors"). Built-ins and custom modules implement the same shape.

/** What a processor sees while it handles one line. One object per node, reused per line. */
export interface ProcessorContext {
  /** Sends a line on. Without a tag it goes to the node's `then` tag (default "end"). */
  emit(line: string, tag?: string): void;
  /** 1-based number of the input line this line came from. */
  readonly n: number;
  /** The file's name, as in its summary. */
  readonly file: string;
  /** The name of the node running this processor. */
  readonly tag: string;
}

export interface Processor {
  process(line: string, ctx: ProcessorContext): void;
  /** Called once at end of file, for processors that hold lines back. */
  flush?(ctx: ProcessorContext): void;
  /** Per-file figures for the summary's `processors` section. */
  summary?(): Record<string, unknown>;
}

export type ProcessorOptions = Record<string, unknown>;

export type CreateProcessor = (options: ProcessorOptions) => Processor;
