/**
 * Writes a campaign's report folder: report.json, junit.xml, index.html, each atomically (a kill
 * while writing leaves the previous version, never half a page). The campaign rewrites them while
 * it runs (so a long campaign can be watched) and once at the end.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeAtomic } from '../corpus/index.js';
import { type CampaignReport, campaignHtml, campaignJson, campaignJunit } from '../report/index.js';

export interface ReportFiles {
  readonly json: string;
  readonly junit: string;
  readonly html: string;
}

export function writeReport(dir: string, r: CampaignReport): ReportFiles {
  mkdirSync(dir, { recursive: true });
  const files = { json: join(dir, 'report.json'), junit: join(dir, 'junit.xml'), html: join(dir, 'index.html') };
  writeAtomic(files.json, campaignJson(r));
  writeAtomic(files.junit, campaignJunit(r));
  writeAtomic(files.html, campaignHtml(r));
  return files;
}
