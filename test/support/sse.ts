// Reads a Server-Sent Events response as text, as far as a test needs it.
export interface SseReader {
  /** Reads until the text so far contains `needle`; fails if the stream ends first. */
  readUntil(needle: string): Promise<void>;
  /** Everything read so far. */
  text(): string;
  cancel(): Promise<void>;
}

export function sseReader(res: Response): SseReader {
  const reader = res.body?.getReader();
  if (!reader) throw new Error('the response has no body');
  const decoder = new TextDecoder();
  let text = '';
  return {
    async readUntil(needle) {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        text += decoder.decode(value, { stream: true });
      }
    },
    text: () => text,
    cancel: () => reader.cancel(),
  };
}
