// What the console's filtered, paged host lists share (changes, probes, facts, vulnerabilities):
// reading a page whose cursor may have gone stale, the filter inputs, and the table with its
// "none" text and next-page link.
import type { Child, FC } from 'hono/jsx';
import { InvalidCursorError } from '../../sql/cursor.ts';
import { Empty } from './components.tsx';
import { instantInput } from './format.ts';
import { withParams } from './paths.ts';

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

/** The stale-link notice, `empty` or the table, and the link to the next page (`older`). */
export const Paged: FC<{
  page: Page<unknown> & { stale: boolean };
  /** The page's own address; the next page is it with the cursor. */
  here: string;
  empty: string;
  older: string;
  children?: Child;
}> = ({ page, here, empty, older, children }) => (
  <>
    {page.stale ? <p class="notice error">That page link is not valid any more.</p> : null}
    {page.items.length === 0 ? <Empty text={empty} /> : children}
    {page.nextCursor ? (
      <p>
        <a href={withParams(here, { cursor: page.nextCursor })}>{older}</a>
      </p>
    ) : null}
  </>
);
