/**
 * The panel's styles, adopted as a constructable stylesheet (CSP allows it without a nonce; the
 * host serves no stylesheet). Theme variables only: VS Code sets every `--vscode-*` on the body.
 * The @vscode-elements components style their own shadow DOM from the same variables.
 */
export const PANEL_CSS = String.raw`
body {
  padding: 0 16px 24px;
  color: var(--vscode-foreground);
  font-family: var(--vscode-font-family);
  font-size: var(--vscode-font-size);
  line-height: 1.4;
}
.sr-only {
  position: absolute;
  width: 1px;
  height: 1px;
  margin: -1px;
  padding: 0;
  overflow: hidden;
  clip: rect(0 0 0 0);
  white-space: nowrap;
  border: 0;
}
[hidden] {
  display: none !important;
}
h2 {
  font-size: 1.1em;
  margin: 20px 0 6px;
}
code,
.code {
  font-family: var(--vscode-editor-font-family);
}

/* environment */
.environment {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 8px 12px;
  padding: 8px 0;
  border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
}
.environment p {
  margin: 0;
}
.env-kind {
  padding: 0 6px;
  border-radius: 2px;
  border: 1px solid var(--vscode-contrastBorder, transparent);
  background: var(--vscode-badge-background);
  color: var(--vscode-badge-foreground);
}
.banner {
  margin: 8px 0;
  padding: 6px 10px;
  border-left: 4px solid var(--vscode-focusBorder);
  border-radius: 2px;
}
/* the alert and status regions stay rendered when empty, so screen readers announce what is put in */
.banner:empty {
  margin: 0;
  padding: 0;
  border: 0;
}
.banner p {
  margin: 0 0 4px;
}
.banner.warning {
  background: var(--vscode-inputValidation-warningBackground);
  border-left-color: var(--vscode-inputValidation-warningBorder, var(--vscode-editorWarning-foreground));
  color: var(--vscode-inputValidation-warningForeground, var(--vscode-foreground));
}
.banner.error {
  background: var(--vscode-inputValidation-errorBackground);
  border-left-color: var(--vscode-inputValidation-errorBorder, var(--vscode-errorForeground));
  color: var(--vscode-inputValidation-errorForeground, var(--vscode-foreground));
}
.banner.info {
  background: var(--vscode-textBlockQuote-background);
  border-left-color: var(--vscode-textLink-foreground);
}
.icon {
  font-weight: 600;
}
.buttons {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 6px 8px;
}

/* form */
label.field-label {
  display: block;
  margin: 12px 0 4px;
  font-weight: 600;
}
.optional {
  font-weight: normal;
  color: var(--vscode-descriptionForeground);
}
textarea,
input[type='text'] {
  box-sizing: border-box;
  width: 100%;
  padding: 4px 6px;
  color: var(--vscode-input-foreground);
  background: var(--vscode-input-background);
  border: 1px solid var(--vscode-input-border, transparent);
  border-radius: 2px;
  font: inherit;
}
textarea {
  min-height: 10em;
  resize: vertical;
  font-family: var(--vscode-editor-font-family);
  font-size: var(--vscode-editor-font-size);
}
textarea::placeholder,
input::placeholder {
  color: var(--vscode-input-placeholderForeground);
}
textarea:focus,
input:focus,
select:focus,
.table-wrap:focus-visible {
  outline: 1px solid var(--vscode-focusBorder);
  outline-offset: -1px;
}
[aria-invalid='true'] {
  border-color: var(--vscode-inputValidation-errorBorder, var(--vscode-errorForeground));
}
select {
  padding: 3px 4px;
  color: var(--vscode-dropdown-foreground);
  background: var(--vscode-dropdown-background);
  border: 1px solid var(--vscode-dropdown-border, transparent);
  border-radius: 2px;
  font: inherit;
}
.note-meta {
  display: flex;
  flex-wrap: wrap;
  justify-content: space-between;
  gap: 4px 12px;
  margin-top: 2px;
  color: var(--vscode-descriptionForeground);
}
.count {
  font-variant-numeric: tabular-nums;
}
.count.over {
  color: var(--vscode-errorForeground);
  font-weight: 600;
}
.problem {
  margin: 4px 0 0;
  color: var(--vscode-errorForeground);
}
.problem:empty {
  margin: 0;
}
.fields {
  display: grid;
  grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
  gap: 0 16px;
}
.fields vscode-checkbox {
  margin-top: 4px;
}
.hint {
  margin: 2px 0 0;
  color: var(--vscode-descriptionForeground);
}
.actions {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 8px;
  margin-top: 14px;
}
#elapsed {
  font-variant-numeric: tabular-nums;
}
.status {
  min-height: 1.4em;
  margin: 8px 0;
  color: var(--vscode-descriptionForeground);
}

/* results */
.summary {
  margin: 0 0 6px;
  color: var(--vscode-descriptionForeground);
}
.request-ids {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 4px 8px;
  margin: 0 0 8px;
}
.toolbar {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  gap: 8px 12px;
  margin: 8px 0;
}
.toolbar label {
  margin-right: 4px;
}
.table-wrap {
  overflow-x: auto;
}
table {
  width: 100%;
  border-collapse: collapse;
}
th,
td {
  padding: 4px 8px;
  text-align: left;
  vertical-align: top;
  border-bottom: 1px solid var(--vscode-panel-border, var(--vscode-widget-border, transparent));
}
thead th {
  font-weight: 600;
  white-space: nowrap;
}
/* codes do not wrap unless longer than any real one (a server may send anything) */
tbody th {
  min-width: 9ch;
  font-weight: normal;
  overflow-wrap: anywhere;
}
tbody tr:hover {
  background: var(--vscode-list-hoverBackground);
}
tr.flagged > :first-child {
  box-shadow: inset 3px 0 0 var(--vscode-editorWarning-foreground);
}
.flag .icon,
.flag-mark {
  color: var(--vscode-editorWarning-foreground);
}
.row-actions {
  display: flex;
  gap: 4px;
  white-space: nowrap;
}
dl.answer-fields {
  display: grid;
  grid-template-columns: max-content 1fr;
  gap: 2px 12px;
  margin: 6px 0;
}
dl.answer-fields dd {
  margin: 0;
  white-space: pre-wrap;
  word-break: break-word;
  font-family: var(--vscode-editor-font-family);
}
details {
  margin-top: 12px;
}
summary {
  cursor: pointer;
}
`;
