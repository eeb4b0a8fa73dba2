// GET /docs: a reference page rendered on the server from the generated OpenAPI document.
// It loads nothing from the network (the machine may be offline and a CDN is a supply
// chain): every operation with its role, parameters and responses, and a link to
// /openapi.json for tools. Public, like the document: it describes the API, holds no data.
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { ROLE_EXTENSION } from './route.ts';

interface Operation {
  summary?: string;
  operationId?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, unknown> };
  responses?: Record<string, { description?: string }>;
  [ROLE_EXTENSION]?: string;
}

interface Document {
  info: { title: string; version: string };
  paths?: object;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem} section{border-top:1px solid #ddd;padding:.6rem 0}
.m{display:inline-block;min-width:4.2rem;font:600 13px monospace;text-transform:uppercase}
.get{color:#1a7f37}.post{color:#0969da}.put,.patch{color:#9a6700}.delete{color:#cf222e}
code{font-size:14px}.role{float:right;font-size:13px;color:#555}
ul{margin:.2rem 0 .2rem 1.2rem;padding:0;font-size:14px}
`;

export function renderDocs(doc: Document): HtmlEscapedString | Promise<HtmlEscapedString> {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation>>;
  const sections = Object.entries(paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((method) => {
      const op = item[method] as Operation;
      const role = op[ROLE_EXTENSION];
      const params = (op.parameters ?? []).map(
        (p) =>
          html`<li><code>${p.name}</code> (${p.in}${p.required ? ', required' : ''})${
            p.description ? html` — ${p.description}` : ''
          }</li>`,
      );
      const bodyTypes = Object.keys(op.requestBody?.content ?? {});
      const responses = Object.entries(op.responses ?? {}).map(
        ([status, r]) => html`<li><code>${status}</code> ${r.description ?? ''}</li>`,
      );
      return html`<section id="${op.operationId ?? ''}">
  <span class="role">${role ? `role: ${role}` : 'no token needed'}</span>
  <span class="m ${method}">${method}</span> <code>${path}</code>
  <div>${op.summary ?? ''}</div>
  ${params.length ? html`<ul>${params}</ul>` : ''}
  ${bodyTypes.length ? html`<div>Body: <code>${bodyTypes.join(', ')}</code></div>` : ''}
  <ul>${responses}</ul>
</section>`;
    }),
  );
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${doc.info.title} API</title>
<style>${raw(STYLE)}</style></head>
<body><h1>${doc.info.title} API <small>${doc.info.version}</small></h1>
<p>Send <code>Authorization: Bearer &lt;token&gt;</code>. Errors are RFC 9457
<code>application/problem+json</code>. The machine-readable document:
<a href="/openapi.json">/openapi.json</a>.</p>
${sections}
</body></html>`;
}
