/** The CDK app entry (see cdk.json). */
import * as cdk from 'aws-cdk-lib';
import { PaletteStack } from './api-stack.ts';

const app = new cdk.App();

const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;

new PaletteStack(app, 'Palette', {
  ...(account || region ? { env: { ...(account ? { account } : {}), ...(region ? { region } : {}) } } : {}),
  description: 'Palette: multi-tenant Kubernetes platform API (serverless)',
});

app.synth();
