import type { DescribeStacksCommandOutput } from '@aws-sdk/client-cloudformation';

/** CloudFormation's DescribeStacks answer for a deployed stack with these outputs (for the CLI's `--stack` tests). */
export function stackWithOutputs(
  stackName: string,
  outputs: Record<string, string>,
): Omit<DescribeStacksCommandOutput, '$metadata'> {
  return {
    Stacks: [
      {
        StackName: stackName,
        CreationTime: new Date(),
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}
