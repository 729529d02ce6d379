namespace Shrink.Tests.Architecture.Fixtures.CycleEnd;

/// <summary>The other half of a deliberate namespace cycle, for the cycle detector's own test.</summary>
internal static class CycleEnd
{
    public static int Next(int n) => n <= 0 ? 1 : CycleStart.CycleStart.Next(n - 1);
}
