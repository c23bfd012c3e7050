/**
 * Code intelligence in the real extension host: hovers, diagnostics, quick fixes, the per-language
 * switch, Find Code, the release status and the index commands, on the sample coder documents
 * (samples/README.md lists the traps each one holds; test/fixtures/workspace holds copies).
 *
 * Fixture documents are only read. Everything that edits works on copies in a temporary folder or
 * on untitled documents, which are saved or reverted and closed afterwards. Positions are found by
 * searching the text, never by line numbers.
 */
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { Commands, DIAGNOSTIC_SOURCE, EXTENSION_ID } from '../../src/constants';
import type { ClinicalCoderApi } from '../../src/extension';

const SECTION = 'clinicalCoder';
const OUR_COMMANDS = [Commands.codesCopy, Commands.codesFindInIndex, Commands.codesFindCrosswalks];

const workspaceRoot = () => {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the fixture workspace is open');
  return folder.uri;
};
const fixture = (name: string) => vscode.Uri.joinPath(workspaceRoot(), name);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Markdown as a coder reads it: the renderer's backslash escapes removed. */
const rendered = (markdown: string) => markdown.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, '$1');

/** The range of `token` inside the first occurrence of `context` (which must contain it). */
function rangeOf(doc: vscode.TextDocument, context: string, token = context, from = 0): vscode.Range {
  const text = doc.getText();
  const at = text.indexOf(context, from);
  assert.ok(at >= 0, `"${context}" is in ${path.basename(doc.uri.fsPath)}`);
  const inner = context.indexOf(token);
  assert.ok(inner >= 0, `"${token}" is inside "${context}"`);
  const start = at + inner;
  return new vscode.Range(doc.positionAt(start), doc.positionAt(start + token.length));
}

/** Every range where `token` occurs as a whole word (not inside a longer word). */
function everyRange(doc: vscode.TextDocument, token: string): vscode.Range[] {
  const text = doc.getText();
  const word = /[A-Za-z0-9]/;
  const out: vscode.Range[] = [];
  for (let at = text.indexOf(token); at >= 0; at = text.indexOf(token, at + 1)) {
    if (word.test(text.charAt(at - 1)) || word.test(text.charAt(at + token.length))) continue;
    out.push(new vscode.Range(doc.positionAt(at), doc.positionAt(at + token.length)));
  }
  return out;
}

const middle = (r: vscode.Range) =>
  r.start.translate(0, Math.floor((r.end.character - r.start.character) / 2));

function markdownOf(c: vscode.MarkdownString | vscode.MarkedString): string {
  if (typeof c === 'string') return c;
  return 'value' in c ? c.value : '';
}

/** Our hovers look like `**`E11.65`** · ICD-10-CM · …` (known) or `**`Z99.999`** · ICD-10-CM` (unknown). */
const OUR_HOVER = /^\*\*`[^`]+`\*\* · /m;

interface OurHover {
  hover: vscode.Hover;
  markdown: string;
  /** What the coder reads. */
  text: string;
}

async function hoversAt(uri: vscode.Uri, position: vscode.Position): Promise<OurHover[]> {
  const hovers =
    (await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position)) ??
    [];
  return hovers.flatMap((hover) => {
    const markdown = hover.contents.map(markdownOf).join('\n\n');
    return OUR_HOVER.test(markdown) ? [{ hover, markdown, text: rendered(markdown) }] : [];
  });
}

async function hoverOn(doc: vscode.TextDocument, context: string, token = context): Promise<OurHover> {
  const range = rangeOf(doc, context, token);
  const hovers = await hoversAt(doc.uri, middle(range));
  assert.strictEqual(hovers.length, 1, `one Clinical Coder hover on ${token}`);
  const [h] = hovers;
  assert.ok(h?.hover.range, 'the hover has a range');
  assert.ok(h.hover.range.contains(range), `the hover covers ${token}: ${JSON.stringify(h.hover.range)}`);
  return h;
}

const ruleOf = (d: vscode.Diagnostic) =>
  d.code === undefined ? undefined : String(typeof d.code === 'object' ? d.code.value : d.code);
const ours = (uri: vscode.Uri) =>
  vscode.languages.getDiagnostics(uri).filter((d) => d.source === DIAGNOSTIC_SOURCE);
const describeDiagnostics = (ds: readonly vscode.Diagnostic[]) =>
  ds
    .map(
      (d) =>
        `  ${d.range.start.line + 1}:${d.range.start.character + 1} ${vscode.DiagnosticSeverity[d.severity]} [${ruleOf(d)}] ${d.message}`,
    )
    .join('\n') || '  (none)';
const overlapping = (ds: readonly vscode.Diagnostic[], r: vscode.Range) =>
  ds.filter((d) => d.range.intersection(r) !== undefined && !d.range.intersection(r)!.isEmpty);

/** Polls `check` (after `step`, if given) until it holds; fails with `message()` after `ms`. */
async function waitFor(
  check: () => boolean,
  message: () => string,
  { ms = 10_000, step }: { ms?: number; step?: () => Promise<unknown> } = {},
): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    await step?.();
    if (check()) return;
    if (Date.now() > until) assert.fail(message());
    await sleep(100);
  }
}

describe('codes: code intelligence in the real extension host', function () {
  this.timeout(60_000);
  let api: ClinicalCoderApi;
  let tmp: string;
  /** Untitled documents to revert and close at the end. */
  const untitled: vscode.TextDocument[] = [];

  const open = async (name: string) => {
    const doc = await vscode.workspace.openTextDocument(fixture(name));
    assert.ok(api.codes.applies(doc), `the code features apply to ${name} (${doc.languageId})`);
    return doc;
  };
  /** A copy of a fixture in the temporary folder (fixtures stay unchanged). */
  const openCopy = async (name: string, as = name) => {
    const file = path.join(tmp, as);
    fs.copyFileSync(fixture(name).fsPath, file);
    return vscode.workspace.openTextDocument(vscode.Uri.file(file));
  };
  const writeTemp = async (name: string, content: string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, content);
    return vscode.workspace.openTextDocument(vscode.Uri.file(file));
  };
  const newUntitled = async (content: string, language = 'plaintext') => {
    const doc = await vscode.workspace.openTextDocument({ language, content });
    untitled.push(doc);
    return doc;
  };
  const validated = async (doc: vscode.TextDocument) => {
    await api.codes.diagnostics.refresh(doc);
    return ours(doc.uri);
  };

  before(async function () {
    this.timeout(120_000);
    api = await vscode.extensions.getExtension<ClinicalCoderApi>(EXTENSION_ID)!.activate();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-codes-'));
    const started = Date.now();
    const index = await api.codes.service.ready();
    console.log(
      `    code index ready in ${Date.now() - started} ms: ${index.size} codes, ` +
        index
          .releases()
          .map((r) => r.label)
          .join(', '),
    );
  });

  after(async () => {
    for (const doc of untitled) {
      if (doc.isClosed) continue;
      await vscode.window.showTextDocument(doc);
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    }
    for (const doc of vscode.workspace.textDocuments)
      if (doc.isDirty && doc.uri.scheme === 'file' && doc.uri.fsPath.startsWith(tmp)) await doc.save();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const config = vscode.workspace.getConfiguration(SECTION);
    await config.update('codes.activeReleases', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  // -------------------------------------------------------------------------------------------
  describe('hovers', () => {
    it('claims CSV: E11.65 shows its ICD-10-CM title', async () => {
      const doc = await open('claims_batch_2025Q4.csv');
      const h = await hoverOn(doc, ',E11.65,', 'E11.65');
      assert.match(h.text, /Type 2 diabetes mellitus with hyperglycemia/);
      assert.match(h.text, /ICD-10-CM/);
      assert.match(h.text, /\bbillable\b/);
    });

    it('claims CSV: the undotted E538 reads as E53.8', async () => {
      const doc = await open('claims_batch_2025Q4.csv');
      const h = await hoverOn(doc, ',E538,', 'E538');
      assert.match(h.text, /`E53\.8`/);
      assert.match(h.text, /Deficiency of other specified B group vitamins/);
    });

    it('claims CSV: J0696 shows its HCPCS title', async () => {
      const doc = await open('claims_batch_2025Q4.csv');
      const h = await hoverOn(doc, ',J0696,', 'J0696');
      assert.match(h.text, /HCPCS/);
      assert.match(h.text, /Injection, ceftriaxone sodium, per 250 mg/);
    });

    it('claims CSV: G35 says it is no longer billable and names G35.A', async () => {
      const doc = await open('claims_batch_2025Q4.csv');
      const h = await hoverOn(doc, ',G35,', 'G35');
      assert.match(h.text, /Multiple sclerosis/);
      assert.match(h.text, /no longer billable|deleted/i);
      assert.match(h.text, /`G35\.A` Relapsing-remitting multiple sclerosis/);
    });

    it('claims CSV: M54.5 says header, not billable, with its 5th-character codes', async () => {
      const doc = await open('claims_batch_2025Q4.csv');
      const h = await hoverOn(doc, ',M54.5,', 'M54.5');
      assert.match(h.text, /header, not billable/);
      assert.match(h.text, /`M54\.50`/);
    });

    it('HL7 VXU (CR-only segments): CVX 150 and 187 in RXA-5', async () => {
      const doc = await open('immunization_vxu_message.hl7');
      const flu = await hoverOn(doc, '|150^Influenza', '150');
      assert.match(flu.text, /CVX/);
      assert.match(flu.text, /Influenza, injectable, quadrivalent, preservative free/);
      // a later segment: positions stay right although segments end with CR only
      const zoster = await hoverOn(doc, '|187^zoster', '187');
      assert.match(zoster.text, /zoster/i);
      assert.ok(zoster.hover.range!.start.line > flu.hover.range!.start.line, 'CR ends a line');
    });

    it('X12 837P: the undotted E1165 in HI reads as E11.65', async () => {
      const doc = await open('claim_837p_excerpt.x12');
      const h = await hoverOn(doc, 'ABF:E1165', 'E1165');
      assert.match(h.text, /`E11\.65`/);
      assert.match(h.text, /Type 2 diabetes mellitus with hyperglycemia/);
      const j = await hoverOn(doc, 'HC:J2001', 'J2001');
      assert.match(j.text, /HCPCS/);
    });

    it('FHIR bundle: the ICD-10-PCS procedure 0SRC0J9 and the undotted Claim.diagnosis E1165', async () => {
      const doc = await open('fhir_bundle_office_visit.json');
      const pcs = await hoverOn(doc, '"0SRC0J9"', '0SRC0J9');
      assert.match(pcs.text, /ICD-10-PCS/);
      assert.match(
        pcs.text,
        /Replacement of Right Knee Joint with Synthetic Substitute, Cemented, Open Approach/,
      );
      const dx = await hoverOn(doc, '"E1165"', 'E1165');
      assert.match(dx.text, /`E11\.65`/);
    });

    it('inpatient worksheet: the ICD-10-PCS code 0SRR0J9 and the placeholder-X code W19.XXXA', async () => {
      const doc = await open('inpatient_coding_worksheet_hip_fracture.md');
      const pcs = await hoverOn(doc, '0SRR0J9');
      assert.match(pcs.text, /ICD-10-PCS/);
      assert.match(pcs.text, /Replacement of Right Hip Joint, Femoral Surface with Synthetic Substitute/);
      const fall = await hoverOn(doc, 'W19.XXXA');
      assert.match(fall.text, /Unspecified fall, initial encounter/);
    });

    it('progress note: no hover on B12, L4-L5, A1c, Lp(a), PHQ-2 or 128/76', async () => {
      const doc = await open('progress_note_annual_visit.md');
      for (const token of ['B12', 'L4-L5', 'A1c', 'Lp(a)', 'PHQ-2', '128/76']) {
        const ranges = everyRange(doc, token);
        assert.ok(ranges.length > 0, `${token} is in the note`);
        for (const r of ranges) {
          const hovers = await hoversAt(doc.uri, middle(r));
          assert.deepStrictEqual(
            hovers.map((h) => h.markdown),
            [],
            `no hover on ${token} at ${r.start.line + 1}:${r.start.character + 1}`,
          );
        }
      }
      // while a real code in the same note has one
      const h = await hoverOn(doc, 'E11.A');
      assert.match(h.text, /Type 2 diabetes mellitus without complications in remission/);
    });

    it('discharge summary: no hover on look-alike numbers (39.2, 4.1, 2.9) or PCV13', async () => {
      const doc = await open('discharge_summary_sepsis_uti.txt');
      for (const [context, token] of [
        ['fever 39.2 C', '39.2'],
        ['lactate 4.1', '4.1'],
        ['creatinine 2.9', '2.9'],
        ['PCV13 (CVX', 'PCV13'],
      ] as const) {
        const r = rangeOf(doc, context, token);
        assert.deepStrictEqual((await hoversAt(doc.uri, middle(r))).length, 0, `no hover on ${token}`);
      }
      const h = await hoverOn(doc, '(A41.51)', 'A41.51');
      assert.match(h.text, /Sepsis due to Escherichia coli/);
    });

    it('an unknown code is quoted as the document spells it (dotted and undotted)', async () => {
      const doc = await writeTemp(
        'unknown_spellings.csv',
        'claim_id,service_date,dx1,dx2\nC1,2025-11-01,Z99.999,E11.65\nC2,2025-11-01,Z99999,E11.65\n',
      );
      const dotted = await hoverOn(doc, ',Z99.999,', 'Z99.999');
      assert.match(dotted.text, /`Z99\.999` is not in ICD-10-CM FY2026/);
      const undotted = await hoverOn(doc, ',Z99999,', 'Z99999');
      assert.match(undotted.text, /`Z99999` is not in ICD-10-CM FY2026/);
    });

    it('trusts only its own three commands, and links to nothing else', async () => {
      const doc = await open('claims_batch_2025Q4.csv');
      const h = await hoverOn(doc, ',G35,', 'G35');
      const md = h.hover.contents.find(
        (c): c is vscode.MarkdownString => typeof c !== 'string' && 'value' in c,
      );
      assert.ok(md, 'the hover is a MarkdownString');
      assert.notStrictEqual(
        md.isTrusted,
        true,
        'isTrusted must not be `true` (every command link would run)',
      );
      assert.ok(
        md.isTrusted && typeof md.isTrusted === 'object',
        `isTrusted: ${JSON.stringify(md.isTrusted)}`,
      );
      assert.deepStrictEqual([...md.isTrusted.enabledCommands].sort(), [...OUR_COMMANDS].sort());
      assert.strictEqual(md.supportHtml ?? false, false, 'no raw HTML');
      const links = [...h.markdown.matchAll(/\]\(([^)\s]+)/g)].map((m) => m[1]!);
      assert.ok(links.length >= 2, `the hover has its Copy / Find links: ${links.join(' ')}`);
      for (const link of links) {
        const command = /^command:([^?]+)/.exec(link)?.[1];
        assert.ok(
          command && (OUR_COMMANDS as readonly string[]).includes(command),
          `unexpected link ${link}`,
        );
      }
    });

    it('text from the document never becomes a link (an unknown code whose text tries)', async () => {
      // A FHIR coding declares an ICD-10-CM code; its text is what the unknown-code hover quotes.
      const bait = 'Z99.999](command:workbench.action.quit)[x';
      const doc = await writeTemp(
        'bait.json',
        JSON.stringify(
          {
            resourceType: 'Condition',
            code: {
              coding: [
                { system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'Z99.999' },
                {
                  system: 'http://hl7.org/fhir/sid/icd-10-cm',
                  code: bait,
                  display: '[y](https://example.invalid)',
                },
              ],
            },
          },
          null,
          2,
        ),
      );
      const unknown = await hoverOn(doc, '"Z99.999"', 'Z99.999');
      assert.match(unknown.text, /Z99\.999` is not in ICD-10-CM FY2026/);
      for (const token of [bait, '[y](https://example.invalid)']) {
        const r = rangeOf(doc, token);
        for (const p of [r.start.translate(0, 1), middle(r), r.end.translate(0, -1)]) {
          for (const h of await hoversAt(doc.uri, p)) {
            assert.doesNotMatch(h.markdown, /\]\((?!command:clinicalCoder\.codes\.)/, h.markdown);
            assert.doesNotMatch(h.markdown, /workbench\.action\.quit|example\.invalid/, h.markdown);
          }
        }
      }
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('diagnostics', () => {
    it('claims CSV: undotted hints for E538 and D649, a header warning for M54.5, a deleted warning for G35', async () => {
      const doc = await open('claims_batch_2025Q4.csv');
      const ds = await validated(doc);
      const all = describeDiagnostics(ds);
      const one = (context: string, token: string) => {
        const found = overlapping(ds, rangeOf(doc, context, token));
        assert.strictEqual(found.length, 1, `one problem on ${token} (${context}):\n${all}`);
        assert.ok(found[0]!.range.isEqual(rangeOf(doc, context, token)), `the range is exactly ${token}`);
        return found[0]!;
      };
      for (const [token, dotted] of [
        ['E538', 'E53.8'],
        ['D649', 'D64.9'],
      ] as const) {
        const d = one(`,${token},`, token);
        assert.strictEqual(ruleOf(d), 'undotted-code', all);
        assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Hint, all);
        assert.ok(d.message.includes(dotted), d.message);
      }
      const header = one('11,M54.5,', 'M54.5');
      assert.strictEqual(ruleOf(header), 'header-code', all);
      assert.strictEqual(header.severity, vscode.DiagnosticSeverity.Warning, all);
      const g35 = one('11,G35,', 'G35');
      assert.ok(['deleted-code', 'invalid-on-date'].includes(ruleOf(g35)!), all);
      assert.strictEqual(g35.severity, vscode.DiagnosticSeverity.Warning, all);
      // nothing on the valid codes, the new FY2026 code, the placeholder-X code or the free-text note
      for (const [context, token] of [
        [',E11.65,', 'E11.65'],
        [',E11.A,', 'E11.A'],
        [',W19.XXXA,', 'W19.XXXA'],
        ['B12 injection', 'B12'],
        [',J0696,', 'J0696'],
      ] as const)
        assert.deepStrictEqual(overlapping(ds, rangeOf(doc, context, token)), [], `${token}:\n${all}`);
      assert.ok(
        ds.every((d) => d.severity !== vscode.DiagnosticSeverity.Error),
        `the claims batch has no unknown codes:\n${all}`,
      );
    });

    it('X12 837P: flags G35 (DOS 2025-11-12) and gives no undotted hints (X12 has no dots)', async () => {
      const doc = await open('claim_837p_excerpt.x12');
      const ds = await validated(doc);
      const all = describeDiagnostics(ds);
      const g35 = overlapping(ds, rangeOf(doc, 'HI*ABK:G35~', 'G35'));
      assert.strictEqual(g35.length, 1, all);
      assert.ok(['deleted-code', 'invalid-on-date'].includes(ruleOf(g35[0]!)!), all);
      assert.deepStrictEqual(
        ds.filter((d) => ruleOf(d) === 'undotted-code'),
        [],
        all,
      );
      assert.deepStrictEqual(overlapping(ds, rangeOf(doc, '0000000000')), [], 'NPI');
    });

    it('progress note: nothing on B12, L4-L5, A1c, PHQ-2, 128/76', async () => {
      const doc = await open('progress_note_annual_visit.md');
      const ds = await validated(doc);
      const all = describeDiagnostics(ds);
      for (const token of ['B12', 'L4-L5', 'A1c', 'Lp(a)', 'PHQ-2', '128/76']) {
        for (const r of everyRange(doc, token))
          assert.deepStrictEqual(overlapping(ds, r), [], `${token} at ${r.start.line + 1}:\n${all}`);
      }
      // the real codes of the assessment are fine
      for (const token of ['E11.A', 'M54.50', 'G35.A', 'B88.01'])
        assert.deepStrictEqual(overlapping(ds, rangeOf(doc, token)), [], `${token}:\n${all}`);
      console.log(`    progress note problems:\n${all.replace(/^/gm, '    ')}`);
    });

    it('no sample has an error: every code in them exists (samples/README.md)', async () => {
      const samples = [
        'claims_batch_2025Q4.csv',
        'claim_837p_excerpt.x12',
        'fhir_bundle_office_visit.json',
        'immunization_vxu_message.hl7',
        'discharge_summary_sepsis_uti.txt',
        'legacy_icd9_conversion_review.csv',
        'inpatient_coding_worksheet_hip_fracture.md',
        'progress_note_annual_visit.md',
      ];
      const errors: string[] = [];
      for (const name of samples) {
        const ds = await validated(await open(name));
        console.log(`    ${name}: ${ds.length} problems\n${describeDiagnostics(ds).replace(/^/gm, '    ')}`);
        for (const d of ds)
          if (d.severity === vscode.DiagnosticSeverity.Error)
            errors.push(
              `${name}:${d.range.start.line + 1}:${d.range.start.character + 1} [${ruleOf(d)}] ${d.message}`,
            );
      }
      assert.deepStrictEqual(errors, []);
    });

    it('HL7 VXU: nothing to report on its five CVX codes', async () => {
      const doc = await open('immunization_vxu_message.hl7');
      assert.strictEqual(describeDiagnostics(await validated(doc)), '  (none)');
    });

    it('a new CSV with an unknown code in a dx column gets an error (temp file and untitled)', async () => {
      const content =
        'claim_id,service_date,dx1,hcpcs\nC1,2025-11-01,E11.65,G0008\nC2,2025-11-01,Z99.999,G0008\n';
      const file = await writeTemp('new_claims.csv', content);
      const draft = await newUntitled(content);
      for (const doc of [file, draft]) {
        const ds = await validated(doc);
        const all = describeDiagnostics(ds);
        const bad = overlapping(ds, rangeOf(doc, ',Z99.999,', 'Z99.999'));
        assert.strictEqual(bad.length, 1, `${doc.uri.toString()}:\n${all}`);
        assert.strictEqual(bad[0]!.severity, vscode.DiagnosticSeverity.Error, all);
        assert.strictEqual(ruleOf(bad[0]!), 'unknown-code', all);
        assert.match(bad[0]!.message, /Z99\.999/);
        assert.deepStrictEqual(overlapping(ds, rangeOf(doc, ',E11.65,', 'E11.65')), [], all);
      }
    });

    it('follows edits: fixing the unknown code clears its error', async () => {
      const doc = await writeTemp('edit_me.csv', 'claim_id,service_date,dx1\nC2,2025-11-01,Z99.999\n');
      assert.strictEqual((await validated(doc)).length, 1);
      const edit = new vscode.WorkspaceEdit();
      edit.replace(doc.uri, rangeOf(doc, 'Z99.999'), 'E11.65');
      assert.ok(await vscode.workspace.applyEdit(edit));
      assert.deepStrictEqual(describeDiagnostics(await validated(doc)), '  (none)');
      await doc.save();
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('quick fixes', () => {
    const actionsAt = async (doc: vscode.TextDocument, range: vscode.Range) => {
      const all =
        (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
          'vscode.executeCodeActionProvider',
          doc.uri,
          range,
        )) ?? [];
      return all.filter((a): a is vscode.CodeAction => typeof (a as vscode.Command).command !== 'string');
    };

    it('E538 offers "E53.8" (preferred); applying it changes the text and clears the hint', async () => {
      const doc = await openCopy('claims_batch_2025Q4.csv', 'fix_one.csv');
      await validated(doc);
      const range = rangeOf(doc, ',E538,', 'E538');
      const actions = await actionsAt(doc, range);
      const titles = actions.map((a) => a.title);
      const fix = actions.find((a) => a.title.includes('E53.8') && a.edit);
      assert.ok(fix, `a fix naming E53.8 among: ${titles.join(' | ')}`);
      assert.strictEqual(fix.isPreferred, true, 'the dotted code is the preferred fix');
      assert.ok(
        titles.some((t) => /all ICD-10-CM codes in this file/.test(t)),
        `"fix all" beside it: ${titles.join(' | ')}`,
      );
      assert.ok(await vscode.workspace.applyEdit(fix.edit!));
      assert.ok(doc.getText().includes(',E53.8,D649,'), 'E538 became E53.8, D649 untouched');
      const after = await validated(doc);
      assert.deepStrictEqual(overlapping(after, rangeOf(doc, ',E53.8,', 'E53.8')), []);
      assert.strictEqual(after.filter((d) => ruleOf(d) === 'undotted-code').length, 1, 'D649 is left');
      await doc.save();
      assert.ok(fs.readFileSync(fixture('claims_batch_2025Q4.csv').fsPath, 'utf8').includes(',E538,D649,'));
    });

    it('the deleted G35 offers its successors', async () => {
      const doc = await open('claims_batch_2025Q4.csv');
      await validated(doc);
      const actions = await actionsAt(doc, rangeOf(doc, '11,G35,', 'G35'));
      const titles = actions.map((a) => a.title);
      assert.ok(
        titles.some((t) => t.includes('G35.A')),
        `G35.A among: ${titles.join(' | ')}`,
      );
      assert.ok(titles.filter((t) => /G35\.[A-D]/.test(t)).length >= 2, titles.join(' | '));
      const a = actions.find((x) => x.title.includes('G35.A'))!;
      const edits = a.edit?.get(doc.uri) ?? [];
      assert.deepStrictEqual(
        edits.map((e) => e.newText),
        ['G35.A'],
      );
    });

    it('Add Missing Dots in File fixes every undotted code of a CSV copy and returns the count', async () => {
      const doc = await openCopy('claims_batch_2025Q4.csv', 'fix_all.csv');
      const before = doc.getText();
      const count = await vscode.commands.executeCommand<number>(Commands.codesAddDotsInFile, doc.uri);
      assert.strictEqual(count, 2);
      const text = doc.getText();
      assert.ok(text.includes(',E53.8,D64.9,'), 'both codes dotted');
      assert.strictEqual(text.length, before.length + 2, 'nothing else changed');
      assert.strictEqual(text.replace('E53.8,D64.9', 'E538,D649'), before);
      const ds = await validated(doc);
      assert.deepStrictEqual(
        ds.filter((d) => ruleOf(d) === 'undotted-code'),
        [],
      );
      assert.strictEqual(await vscode.commands.executeCommand(Commands.codesAddDotsInFile, doc.uri), 0);
      await doc.save();
    });

    it('Add Missing Dots in File leaves an X12 claim alone (X12 codes have no dots)', async () => {
      const doc = await openCopy('claim_837p_excerpt.x12', 'claim.x12');
      const before = doc.getText();
      assert.strictEqual(await vscode.commands.executeCommand(Commands.codesAddDotsInFile, doc.uri), 0);
      assert.strictEqual(doc.getText(), before);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('per-language switch', () => {
    const reset = async (languageId: string) =>
      vscode.workspace
        .getConfiguration(SECTION, { languageId })
        .update('codes.diagnostics.enabled', undefined, vscode.ConfigurationTarget.Global, true);
    const disable = async (languageId: string) =>
      vscode.workspace
        .getConfiguration(SECTION, { languageId })
        .update('codes.diagnostics.enabled', false, vscode.ConfigurationTarget.Global, true);

    /** Turns diagnostics off for `languageId`, checks `off` loses its problems and `on` keeps them, turns them on again. */
    const check = async (languageId: string, off: vscode.TextDocument, on: vscode.TextDocument) => {
      assert.ok((await validated(off)).length > 0, 'problems before');
      assert.ok((await validated(on)).length > 0, 'problems before (other language)');
      try {
        await disable(languageId);
        await waitFor(
          () => ours(off.uri).length === 0,
          () => `[${languageId}] off, yet:\n${describeDiagnostics(ours(off.uri))}`,
          { step: () => api.codes.diagnostics.refresh(off) },
        );
        assert.ok((await validated(on)).length > 0, `[${languageId}] off leaves ${on.languageId} alone`);
      } finally {
        await reset(languageId);
      }
      await waitFor(
        () => ours(off.uri).length > 0,
        () => `[${languageId}] reset, but the problems did not come back`,
        { step: () => api.codes.diagnostics.refresh(off) },
      );
    };

    it('"[markdown]": diagnostics off clears them for markdown only, and back on', async () => {
      const note = await open('progress_note_annual_visit.md');
      const claims = await open('claims_batch_2025Q4.csv');
      assert.strictEqual(note.languageId, 'markdown');
      await check('markdown', note, claims);
    });

    it('"[csv]": diagnostics off clears them for CSV documents, and back on', async function () {
      // the extension contributes the csv language (VS Code has none built in), so .csv files get
      // it and a "[csv]" section applies
      const claims = await open('claims_batch_2025Q4.csv');
      const note = await open('progress_note_annual_visit.md');
      assert.strictEqual(claims.languageId, 'csv');
      await check('csv', claims, note);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('Find Code', () => {
    it("'type 2 diabetes hyperglycemia' has E11.65 in the top 5", async () => {
      const results = await api.codes.find.search('type 2 diabetes hyperglycemia');
      const top = results.slice(0, 5).map((r) => r.display);
      assert.ok(top.includes('E11.65'), top.join(', '));
      assert.strictEqual(results[0]!.title, 'Type 2 diabetes mellitus with hyperglycemia');
    });

    it("'E11.6' lists the code itself, then codes starting with it", async () => {
      const results = await api.codes.find.search('E11.6', undefined, 20);
      assert.strictEqual(results[0]!.display, 'E11.6');
      assert.strictEqual(results[0]!.tier, 'exact');
      const first = results.slice(0, 10);
      for (const r of first)
        assert.ok(['exact', 'prefix'].includes(r.tier), `${r.display} is a ${r.tier} match`);
      const cm = first.filter((r) => r.system === 'icd10cm');
      assert.ok(cm.length >= 5, first.map((r) => r.display).join(', '));
      for (const r of cm) assert.ok(r.display.startsWith('E11.6'), r.display);
      // a dotted query names a dotted system: no HCPCS E1160/E1161
      assert.deepStrictEqual(
        first.filter((r) => r.system !== 'icd10cm').map((r) => r.display),
        [],
      );
    });

    it("'diabtes' (a typo) still finds diabetes codes", async () => {
      const results = await api.codes.find.search('diabtes', undefined, 10);
      assert.ok(results.length >= 5, `${results.length} results`);
      for (const r of results.slice(0, 5)) assert.match(r.title, /diabet/i, `${r.display} ${r.title}`);
    });

    it('the system filter and a typed prefix limit the systems', async () => {
      const hcpcs = await api.codes.find.search('diabetes', ['hcpcs'], 20);
      assert.ok(hcpcs.length > 0);
      assert.deepStrictEqual([...new Set(hcpcs.map((r) => r.system))], ['hcpcs']);
      const cm = await api.codes.find.search('cm: J0696', undefined, 20);
      assert.ok(
        cm.every((r) => r.system === 'icd10cm'),
        cm.map((r) => `${r.display} ${r.system}`).join(', '),
      );
      const j = await api.codes.find.search('J0696');
      assert.strictEqual(j[0]!.display, 'J0696');
      assert.strictEqual(j[0]!.system, 'hcpcs');
      const pcsOnly = await api.codes.find.search('J0696', ['icd10pcs']);
      assert.ok(!pcsOnly.some((r) => r.display === 'J0696'), 'filtered out');
      const cvx = await api.codes.find.search('influenza quadrivalent preservative free', ['cvx'], 5);
      assert.ok(
        cvx.some((r) => r.display === '150'),
        cvx.map((r) => r.display).join(', '),
      );
    });

    it('the Find Code command inserts the accepted code at the cursor', async () => {
      const doc = await newUntitled('');
      await vscode.window.showTextDocument(doc);
      const inserted = vscode.commands.executeCommand<string | undefined>(Commands.codesFind, {
        query: 'J0696',
      });
      let result: string | undefined;
      let settled = false;
      void inserted.then((r) => {
        result = r;
        settled = true;
      });
      try {
        // Enter in the quick pick (the same command the keybinding runs); an Enter that comes
        // before the results accepts the first result once they arrive
        await waitFor(
          () => settled,
          () => 'Find Code did not accept',
          {
            ms: 15_000,
            step: async () => {
              await sleep(500);
              if (!settled)
                await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
            },
          },
        );
      } finally {
        if (!settled) await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      }
      assert.strictEqual(result, 'J0696');
      assert.strictEqual(doc.getText(), 'J0696');
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('release status', () => {
    it('names ICD-10-CM FY2026 while a code document is in the editor', async () => {
      await vscode.window.showTextDocument(await open('claims_batch_2025Q4.csv'));
      await waitFor(
        () => api.codes.releaseStatusText().includes('ICD-10-CM FY2026'),
        () => `status: '${api.codes.releaseStatusText()}'`,
      );
    });

    it('setActiveRelease round-trips; an unknown release falls back to the newest', async () => {
      const service = api.codes.service;
      const config = () => vscode.workspace.getConfiguration(SECTION);
      const active = () => service.current?.activeRelease('icd10cm')?.id;
      try {
        await service.setActiveRelease('icd10cm', 'icd10cm-FY2026');
        assert.deepStrictEqual(config().get('codes.activeReleases'), { icd10cm: 'icd10cm-FY2026' });
        assert.strictEqual(active(), 'icd10cm-FY2026');
        // not loaded: the setting keeps it, the index uses the newest (and logs a warning)
        await service.setActiveRelease('icd10cm', 'icd10cm-FY1999');
        assert.deepStrictEqual(config().get('codes.activeReleases'), { icd10cm: 'icd10cm-FY1999' });
        assert.strictEqual(active(), 'icd10cm-FY2026');
        assert.match(api.codes.releaseStatusText(), /ICD-10-CM FY2026/);
        await service.setActiveRelease('icd10cm', undefined);
        assert.deepStrictEqual(config().get('codes.activeReleases'), {});
        assert.strictEqual(active(), 'icd10cm-FY2026');
      } finally {
        await config().update('codes.activeReleases', undefined, vscode.ConfigurationTarget.Global);
      }
      assert.strictEqual(config().inspect('codes.activeReleases')?.globalValue, undefined);
    });
  });

  // -------------------------------------------------------------------------------------------
  describe('index commands', () => {
    it('Copy Code puts the dotted code on the clipboard', async () => {
      await vscode.env.clipboard.writeText('');
      const copied = await vscode.commands.executeCommand(Commands.codesCopy, {
        system: 'icd10cm',
        code: 'E1165',
        display: 'E11.65',
      });
      assert.strictEqual(copied, 'E11.65');
      assert.strictEqual(await vscode.env.clipboard.readText(), 'E11.65');
      // without a code (the palette): an error message, no exception, nothing copied
      assert.strictEqual(await vscode.commands.executeCommand(Commands.codesCopy), undefined);
    });

    it('Rebuild Code Index returns the code count, and hovers still work afterwards', async function () {
      this.timeout(120_000);
      const count = await vscode.commands.executeCommand<number>(Commands.codesRebuildIndex);
      console.log(`    rebuilt: ${count} codes`);
      assert.ok(typeof count === 'number' && count > 200_000, `${count}`);
      assert.strictEqual(api.codes.service.current?.size, count);
      const doc = await open('claims_batch_2025Q4.csv');
      const h = await hoverOn(doc, ',E11.65,', 'E11.65');
      assert.match(h.text, /Type 2 diabetes mellitus with hyperglycemia/);
    });
  });
});
