/**
 * One document: its status while it is read, then each page's preview with the word boxes over it
 * (coloured by confidence; the text pane and the image highlight each other), the page's facts, the
 * document's metadata and category with the cues that decided it, and the downloads.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { download, getResult, getTask, imageUrl, type ApiError, type OcrResult, type TaskView } from './api.ts';
import { adviceFor } from './advice.ts';
import { confidenceClass, duration, when } from './format.ts';
import { watchTasks } from './live.ts';
import { href } from './route.ts';

type PageResult = OcrResult['pages'][number];

const DOWNLOADS: ReadonlyArray<[format: string, label: string]> = [
  ['txt', 'Text'],
  ['hocr', 'hOCR'],
  ['json', 'JSON'],
  ['pdf', 'Searchable PDF'],
];

export function Viewer({ taskId }: { taskId: string }) {
  const [task, setTask] = useState<TaskView | null>(null);
  const [result, setResult] = useState<OcrResult | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [pageNumber, setPageNumber] = useState(1);

  useEffect(() => {
    getTask(taskId).then(setTask, setError);
    return watchTasks((changed) => {
      const mine = changed.find((t) => t.taskId === taskId);
      if (mine) setTask(mine);
    }, () => undefined);
  }, [taskId]);
  useEffect(() => {
    if (task?.status === 'COMPLETED' && !result) getResult(taskId).then(setResult, setError);
  }, [task?.status]);

  if (error) return <Missing error={error} />;
  if (!task) return <p class="muted" aria-busy="true">Loading…</p>;
  const page = result?.pages[pageNumber - 1];
  return (
    <div class="viewer">
      <p><a href={href.tasks}>← All documents</a></p>
      <h1 class="file-name">{task.fileName}</h1>
      <p class="summary">
        <span class={`status s-${task.status.toLowerCase()}`}>{task.status.toLowerCase()}</span>
        {task.summary && <> {task.summary.pages} page{task.summary.pages === 1 ? '' : 's'} · confidence {Math.round(task.summary.confidence)}% · read in {duration(task.summary.processingMs)}</>}
        <span class="muted"> · uploaded {when(task.createdAt)} · attempts {task.attempts}</span>
      </p>
      {task.status !== 'COMPLETED' && (
        <section class="card">
          <progress max={100} value={task.progress} aria-label="Progress" class="wide" />
          <p>{task.message || task.status.toLowerCase()}</p>
          {task.error && (
            <p role="alert" class="error">
              <strong class="code">{task.error.code}</strong> {task.error.message} <span class="advice">{adviceFor(task.error.code)}</span>
            </p>
          )}
        </section>
      )}
      {result && (
        <>
          <div class="downloads" role="group" aria-label="Downloads">
            {DOWNLOADS.map(([format, label]) => (
              <button type="button" onClick={() => void download(`tasks/${encodeURIComponent(taskId)}/result?format=${format}`, `result.${format}`).catch(setError)}>
                ⤓ {label}
              </button>
            ))}
          </div>
          {result.pages.length > 1 && (
            <nav class="pager" aria-label="Pages of the document">
              <button type="button" disabled={pageNumber <= 1} onClick={() => setPageNumber(pageNumber - 1)}>
                ← Previous
              </button>
              <span>
                Page {pageNumber} of {result.pages.length}
              </span>
              <button type="button" disabled={pageNumber >= result.pages.length} onClick={() => setPageNumber(pageNumber + 1)}>
                Next →
              </button>
            </nav>
          )}
          {page && <PageView key={pageNumber} taskId={taskId} page={page} engine={`${result.engine.name} ${result.engine.version}`} />}
          <DocumentFacts result={result} />
        </>
      )}
    </div>
  );
}

function Missing({ error }: { error: ApiError }) {
  return (
    <section class="card">
      <p><a href={href.tasks}>← All documents</a></p>
      <p role="alert" class="error">
        <strong class="code">{error.code}</strong> {error.message}
      </p>
    </section>
  );
}

function PageView({ taskId, page, engine }: { taskId: string; page: PageResult; engine: string }) {
  const [image, setImage] = useState<string | null>(null);
  const [imageError, setImageError] = useState<string | null>(null);
  const [active, setActive] = useState<number | null>(null);
  useEffect(() => {
    let url: string | null = null;
    imageUrl(`tasks/${encodeURIComponent(taskId)}/pages/${page.number}/preview`).then(
      (u) => {
        url = u;
        setImage(u);
      },
      (err: ApiError) => setImageError(err.message),
    );
    return () => {
      if (url) URL.revokeObjectURL(url);
    };
  }, [taskId, page.number]);
  const lines = useMemo(() => {
    const byLine = new Map<number, number[]>();
    page.words.forEach((w, i) => byLine.set(w.line, [...(byLine.get(w.line) ?? []), i]));
    return [...byLine.entries()].sort((a, b) => a[0] - b[0]).map(([, ids]) => ids);
  }, [page]);
  const word = active === null ? null : page.words[active];

  return (
    <section class="page" aria-label={`Page ${page.number}`}>
      <figure class="page-figure">
        <div class="page-image" style={{ aspectRatio: `${page.width || 1} / ${page.height || 1}` }}>
          {image && <img src={image} alt={`Page ${page.number} as scanned`} />}
          {!image && <p class="muted">{imageError ?? 'Loading the page image…'}</p>}
          <svg viewBox={`0 0 ${page.width} ${page.height}`} preserveAspectRatio="none" role="img" aria-label={`${page.words.length} word boxes, coloured by confidence`} onMouseLeave={() => setActive(null)}>
            {page.words.map((w, i) => (
              <rect
                class={`box ${confidenceClass(w.confidence)} ${i === active ? 'active' : ''}`}
                x={w.bbox.x0}
                y={w.bbox.y0}
                width={Math.max(1, w.bbox.x1 - w.bbox.x0)}
                height={Math.max(1, w.bbox.y1 - w.bbox.y0)}
                onMouseEnter={() => setActive(i)}
              >
                <title>{`${w.text} — ${Math.round(w.confidence)}%`}</title>
              </rect>
            ))}
          </svg>
        </div>
        <figcaption>
          <p class="hover-info" aria-live="polite">
            {word ? (
              <>
                <strong>{word.text}</strong> · confidence {Math.round(word.confidence)}%
              </>
            ) : (
              <span class="muted">Point at a word on the page or in the text.</span>
            )}
          </p>
          <p class="legend small">
            <span class="key high" /> 85% and over <span class="key mid" /> 60–84% <span class="key low" /> under 60%
          </p>
        </figcaption>
      </figure>
      <div class="page-side">
        <dl class="facts">
          <dt>Read by</dt>
          <dd>{page.source === 'ocr' ? `OCR (${engine})` : 'the PDF’s own text layer'}</dd>
          <dt>Confidence</dt>
          <dd>{Math.round(page.confidence)}%</dd>
          <dt>Rotation</dt>
          <dd>
            turned {page.rotation.orientation}° · skew {page.rotation.skewDegrees.toFixed(1)}°
          </dd>
          <dt>Size</dt>
          <dd>
            {Math.round(page.width)} × {Math.round(page.height)} px at {page.dpi} dpi
          </dd>
          <dt>Time</dt>
          <dd>{duration(page.timings.totalMs)}</dd>
        </dl>
        {page.error && (
          <p class="error">
            <strong class="code">{page.error.code}</strong> {page.error.message}
          </p>
        )}
        <h2 class="small-title">Text</h2>
        <div class="text-pane" onMouseLeave={() => setActive(null)}>
          {lines.length === 0 && <p class="muted">No text on this page.</p>}
          {lines.map((ids) => (
            <p class="line">
              {ids.map((i) => (
                <>
                  <span class={`word ${confidenceClass(page.words[i]!.confidence)} ${i === active ? 'active' : ''}`} onMouseEnter={() => setActive(i)}>
                    {page.words[i]!.text}
                  </span>{' '}
                </>
              ))}
            </p>
          ))}
        </div>
      </div>
    </section>
  );
}

function DocumentFacts({ result }: { result: OcrResult }) {
  const { metadata, classification } = result;
  const cues = classification.matched[classification.category] ?? [];
  const list = (items: string[]) => (items.length ? items.join(', ') : '—');
  return (
    <section class="card facts-card" aria-labelledby="doc-title">
      <h2 id="doc-title">About the document</h2>
      <dl class="facts">
        <dt>Category</dt>
        <dd>
          <strong>{classification.category}</strong>
          {cues.length > 0 && <span class="muted"> — because of: {cues.join(', ')}</span>}
        </dd>
        <dt>Languages</dt>
        <dd>{result.languages.join(', ')}</dd>
        <dt>Dates</dt>
        <dd>{list(metadata.dates.map((d) => `${d.text} (${d.iso})`))}</dd>
        <dt>Amounts</dt>
        <dd>{list(metadata.amounts.map((a) => a.text))}</dd>
        <dt>Emails</dt>
        <dd>{list(metadata.emails)}</dd>
        <dt>Phones</dt>
        <dd>{list(metadata.phones)}</dd>
        <dt>References</dt>
        <dd>{list(metadata.references.map((r) => `${r.kind} ${r.value}`))}</dd>
      </dl>
    </section>
  );
}
