// What the console's filtered, paged host lists share (changes, probes, facts, vulnerabilities):
// reading a page whose cursor may have gone stale, the filter inputs, and the table with its
// "none" text and next-page link.
import type { Child, FC } from 'hono/jsx';
import { InvalidCursorError } from '../../sql/cursor.ts';
import { Empty } from './components.tsx';
import { instantInput } from './format.ts';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** The page, or an empty one marked stale when its cursor no longer decodes (old link). */
export async function readPage<T>(
  read: () => Promise<Page<T>>,
): Promise<Page<T> & { stale: boolean }> {
  try {
    return { ...(await read()), stale: false };
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    return { items: [], nextCursor: null, stale: true };
  }
}

/** A labelled select of `values` with "any" first. */
export const Choice: FC<{
  label: string;
  name: string;
  values: readonly string[];
  selected: string | undefined;
}> = ({ label, name, values, selected }) => (
  <label>
    {label}{' '}
    <select name={name}>
      <option value="">any</option>
      {values.map((v) => (
        <option value={v} selected={v === selected}>
          {v}
        </option>
      ))}
    </select>
  </label>
);

/** The "as of" instant of a page (UTC; empty: now). */
export const AsOfInput: FC<{ asOf: Date | null | undefined }> = ({ asOf }) => (
  <label>
    As of (UTC){' '}
    <input type="datetime-local" name="asOf" step={1} value={asOf ? instantInput(asOf) : ''} />
  </label>
);

/** The stale-link notice, `empty` or the table, and the link to the next page. */
export const Paged: FC<{
  stale: boolean;
  count: number;
  empty: string;
  next: { href: string; label: string } | null;
  children?: Child;
}> = ({ stale, count, empty, next, children }) => (
  <>
    {stale ? <p class="notice error">That page link is not valid any more.</p> : null}
    {count === 0 ? <Empty text={empty} /> : children}
    {next ? (
      <p>
        <a href={next.href}>{next.label}</a>
      </p>
    ) : null}
  </>
);
