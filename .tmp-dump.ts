import * as cdk from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PaletteStack } from './infra/aws/api-stack.ts';
const app = new cdk.App({ context: { 'aws:cdk:bundling-stacks': [] } });
const stack = new PaletteStack(app, 'Palette');
console.log(JSON.stringify(Template.fromStack(stack).toJSON(), null, 1));
