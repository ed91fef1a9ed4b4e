import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import type { Express } from 'express';
import request from 'supertest';
import { FHIR_JSON } from '../../support/test-app';
import { provideBundle } from './documents-app';

/** An ITI-65 bundle carrying `cda` as its document's Binary (text/xml unless said), for `patient`; its id is the CDA's own. */
export function iti65(cda: Buffer, patient: string, binaryContentType = 'text/xml'): Bundle {
  const bundle = provideBundle({ bytes: cda, masterValue: 'unused' }, `Patient/${patient}`);
  const entries = bundle.entry ?? [];
  const doc = entries[1].resource as DocumentReference;
  delete doc.masterIdentifier;
  doc.content[0].attachment.contentType = binaryContentType;
  (entries[2].resource as { contentType: string }).contentType = binaryContentType;
  return bundle;
}

/** An ITI-105 simplified publish of `cda` inline, for `patient`. */
export function iti105(cda: Buffer, patient: string): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
    subject: { reference: `Patient/${patient}` },
    content: [{ attachment: { contentType: 'text/xml', data: cda.toString('base64') } }],
  };
}

/** The three ways a CDA document enters: `$import` (raw), ITI-65 (in a bundle), ITI-105 (inline in a DocumentReference). */
export interface CdaChannel {
  name: string;
  /** Sends `cda` for `patient` to `target`: an app, or the origin of a listening server. */
  send: (target: Express | string, cda: Buffer, patient: string) => Promise<request.Response>;
}

export const CDA_CHANNELS: CdaChannel[] = [
  { name: '$import', send: (target, cda) => request(target).post('/fhir/DocumentReference/$import').set('Content-Type', 'application/hl7-cda+xml').send(cda) },
  { name: 'ITI-65', send: (target, cda, patient) => request(target).post('/fhir').set('Content-Type', FHIR_JSON).send(iti65(cda, patient)) },
  { name: 'ITI-105', send: (target, cda, patient) => request(target).post('/fhir/DocumentReference').set('Content-Type', FHIR_JSON).send(iti105(cda, patient)) },
];
