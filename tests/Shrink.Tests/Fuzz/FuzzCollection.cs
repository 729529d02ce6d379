namespace Shrink.Tests.Fuzz;

/// <summary>The fuzz tests run the CLI in-process and swap the process-wide console writers: nothing may run beside them.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FuzzCollection
{
    public const string Name = "In-process CLI fuzzing";
}
