/**
 * Every id the extension contributes or stores, in one place (DESIGN.md §2). package.json must
 * agree with this file; `scripts/check-commands.mjs` verifies the command half in `npm test`.
 */

export const EXTENSION_ID = 'clinicalcoder.clinical-coder';
export const DISPLAY_NAME = 'Clinical Coder';

export const Commands = {
  signIn: 'clinicalCoder.auth.signIn',
  signOut: 'clinicalCoder.auth.signOut',
  testConnection: 'clinicalCoder.auth.testConnection',
  setCodifyToken: 'clinicalCoder.auth.setCodifyToken',
  setHeimKey: 'clinicalCoder.auth.setHeimKey',
  switchEnvironment: 'clinicalCoder.auth.switchEnvironment',
  showStatus: 'clinicalCoder.auth.showStatus',
  refreshConnections: 'clinicalCoder.connections.refresh',
  showLog: 'clinicalCoder.log.show',
  releasesRefresh: 'clinicalCoder.releases.refresh',
  releasesRefreshNode: 'clinicalCoder.releases.refreshNode',
  releasesLoadMore: 'clinicalCoder.releases.loadMore',
  releasesLoadAll: 'clinicalCoder.releases.loadAll',
  releasesFilter: 'clinicalCoder.releases.filter',
  releasesClearFilter: 'clinicalCoder.releases.clearFilter',
  releasesRetry: 'clinicalCoder.releases.retry',
  releasesCopyTraceId: 'clinicalCoder.releases.copyTraceId',
  releasesOpenMenuOption: 'clinicalCoder.releases.openMenuOption',
  downloadFile: 'clinicalCoder.releases.downloadFile',
  downloadVersion: 'clinicalCoder.releases.downloadVersion',
  watchSubProduct: 'clinicalCoder.releases.watch',
  unwatchSubProduct: 'clinicalCoder.releases.unwatch',
  checkForNewReleases: 'clinicalCoder.releases.checkForNew',
  downloadsRefresh: 'clinicalCoder.downloads.refresh',
  downloadsReveal: 'clinicalCoder.downloads.reveal',
  downloadsOpen: 'clinicalCoder.downloads.open',
  downloadsDelete: 'clinicalCoder.downloads.delete',
  codesFind: 'clinicalCoder.codes.find',
  codesSelectRelease: 'clinicalCoder.codes.selectRelease',
  codesRebuildIndex: 'clinicalCoder.codes.rebuildIndex',
  codesShowIndexReport: 'clinicalCoder.codes.showIndexReport',
  codesAddDotsInFile: 'clinicalCoder.codes.addDotsInFile',
  codesCopy: 'clinicalCoder.codes.copy',
  codesFindInIndex: 'clinicalCoder.codes.findInIndex',
  codesFindCrosswalks: 'clinicalCoder.codes.findCrosswalks',
  crosswalksRefresh: 'clinicalCoder.crosswalks.refresh',
  crosswalksRefreshNode: 'clinicalCoder.crosswalks.refreshNode',
  crosswalksLoadMore: 'clinicalCoder.crosswalks.loadMore',
  crosswalksLoadAll: 'clinicalCoder.crosswalks.loadAll',
  crosswalksFilterBySource: 'clinicalCoder.crosswalks.filterBySource',
  crosswalksFilter: 'clinicalCoder.crosswalks.filter',
  crosswalksClearFilter: 'clinicalCoder.crosswalks.clearFilter',
  crosswalksRetry: 'clinicalCoder.crosswalks.retry',
  crosswalksCopyTraceId: 'clinicalCoder.crosswalks.copyTraceId',
  crosswalksCreate: 'clinicalCoder.crosswalks.create',
  crosswalksAddMappings: 'clinicalCoder.crosswalks.addMappings',
  crosswalksDeleteTargets: 'clinicalCoder.crosswalks.deleteTargets',
  crosswalksSetAttribute: 'clinicalCoder.crosswalks.setAttribute',
  crosswalksDeleteAttribute: 'clinicalCoder.crosswalks.deleteAttribute',
  crosswalksSetTargetAttribute: 'clinicalCoder.crosswalks.setTargetAttribute',
  crosswalksDeleteTargetAttribute: 'clinicalCoder.crosswalks.deleteTargetAttribute',
  crosswalksArchive: 'clinicalCoder.crosswalks.archive',
  crosswalksOpenTable: 'clinicalCoder.crosswalks.openTable',
  crosswalksExportCsv: 'clinicalCoder.crosswalks.exportCsv',
  crosswalksExportConceptMap: 'clinicalCoder.crosswalks.exportConceptMap',
  crosswalksImport: 'clinicalCoder.crosswalks.import',
  crosswalksCompare: 'clinicalCoder.crosswalks.compare',
  crosswalksFindForCode: 'clinicalCoder.crosswalks.findForCode',
  codifyNote: 'clinicalCoder.codify.note',
  codifySelection: 'clinicalCoder.codify.selection',
  codifyDocument: 'clinicalCoder.codify.document',
  careRefresh: 'clinicalCoder.care.refresh',
  careRefreshNode: 'clinicalCoder.care.refreshNode',
  careLoadMore: 'clinicalCoder.care.loadMore',
  careLoadAll: 'clinicalCoder.care.loadAll',
  careFilter: 'clinicalCoder.care.filter',
  careClearFilter: 'clinicalCoder.care.clearFilter',
  careRetry: 'clinicalCoder.care.retry',
  careCopyTraceId: 'clinicalCoder.care.copyTraceId',
  careOpenDetails: 'clinicalCoder.care.openDetails',
} as const;

export const Views = {
  container: 'clinicalCoder',
  connections: 'clinicalCoder.connections',
  releases: 'clinicalCoder.releases',
  downloads: 'clinicalCoder.downloads',
  crosswalks: 'clinicalCoder.crosswalks',
  care: 'clinicalCoder.care',
} as const;

/** Schemes of the extension's read-only virtual documents. */
export const DocumentSchemes = {
  /** Heim care details (organisations, patients, appointments, tasks): markdown or JSON. */
  heim: 'clinical-coder-heim',
} as const;

/** `viewType`s of the webview panels. */
export const WebviewPanels = {
  codify: 'clinicalCoder.codify',
} as const;

/** Context keys used in `when` clauses. */
export const ContextKeys = {
  /** true while the active IMO environment has stored, verified credentials. */
  signedIn: 'clinicalCoder.signedIn',
  /** name of the active IMO environment. */
  imoEnvironment: 'clinicalCoder.imoEnvironment',
  /** "test" | "live" | "none": the mode of the active Heim key. */
  heimMode: 'clinicalCoder.heimMode',
  /** true when the OS keyring (SecretStorage) failed; the welcome view explains it. */
  secretsUnavailable: 'clinicalCoder.secretsUnavailable',
} as const;

/** The three remote services and the labels coders see for them. */
export type ServiceId = 'imo' | 'codify' | 'heim';
export const SERVICE_LABELS: Record<ServiceId, string> = { imo: 'IMO', codify: 'Codify', heim: 'Heim' };

/** Setting keys, relative to the `clinicalCoder` section. */
export const Settings = {
  section: 'clinicalCoder',
  environment: (s: ServiceId) => `${s}.environment`,
  environments: (s: ServiceId) => `${s}.environments`,
  downloadsFolder: 'downloads.folder',
  codesLanguages: 'codes.languages',
  codesFilePatterns: 'codes.filePatterns',
  codesDiagnosticsEnabled: 'codes.diagnostics.enabled',
  codesDiagnosticsRules: 'codes.diagnostics.rules',
  codesActiveReleases: 'codes.activeReleases',
  codesFolders: 'codes.folders',
  codesUseBundled: 'codes.useBundled',
  codesUseDownloads: 'codes.useDownloads',
  crosswalksManagementUrl: 'crosswalks.managementUrl',
  crosswalksTableFormat: 'crosswalks.tableFormat',
  heimDetailsFormat: 'heim.detailsFormat',
  codifyModel: 'codify.model',
  codifyMaxNoteLength: 'codify.maxNoteLength',
  codifyDoctorId: 'codify.doctorId',
} as const;

/** The diagnostics collection name (shown as the source of problems). */
export const DIAGNOSTIC_SOURCE = 'Clinical Coder';

/** Keys in the extension's globalState (never secrets or PHI). */
export const StateKeys = {
  watchedSubProducts: 'releases.watched',
  lastReleaseCheck: 'releases.lastCheck',
} as const;

/** What each service keeps in SecretStorage, per environment. */
export interface SecretKinds {
  imo: 'clientId' | 'clientSecret' | 'accessToken';
  codify: 'token';
  heim: 'apiKey';
}

/**
 * The SecretStorage key of one credential. Keys are namespaced by service and environment so
 * development and production credentials can never be mixed up (documents 002 and 004 insist).
 */
export function secretKey<S extends ServiceId>(
  service: S,
  environment: string,
  kind: SecretKinds[S],
): string {
  return `clinicalCoder/${service}/${encodeURIComponent(environment)}/${kind}`;
}
