namespace Shrink.Tests.Architecture.Fixtures.CycleStart;

/// <summary>Half of a deliberate namespace cycle, for the cycle detector's own test.</summary>
internal static class CycleStart
{
    public static int Next(int n) => n <= 0 ? 0 : CycleEnd.CycleEnd.Next(n - 1);
}
