import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { startExecution } from '#shared/operations/start-execution.ts';

const sfn = mockClient(SFNClient);

afterEach(() => {
  sfn.reset();
  delete process.env.STATE_MACHINE_HOST_CLUSTER_CREATE;
});

describe('starting a workflow', () => {
  it('calls StartExecution on the ARN from the environment, named after the operation (as on AWS, no endpoint override)', async () => {
    delete process.env.STEP_FUNCTIONS_ENDPOINT;
    process.env.STATE_MACHINE_HOST_CLUSTER_CREATE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:create';
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:create:op_1', startDate: new Date() });
    const arn = await startExecution('host-cluster-create', 'op_1', { clusterId: 'cl_1' });
    expect(arn).toBe('arn:aws:states:eu-west-1:123456789012:execution:create:op_1');
    const call = sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input;
    expect(call).toEqual({ stateMachineArn: process.env.STATE_MACHINE_HOST_CLUSTER_CREATE, name: 'op_1', input: '{"clusterId":"cl_1"}' });
  });

  it('says which variable is missing when the stack did not pass the ARN', async () => {
    await expect(startExecution('host-cluster-create', 'op_2', {})).rejects.toThrow('STATE_MACHINE_HOST_CLUSTER_CREATE is not set');
  });
});
