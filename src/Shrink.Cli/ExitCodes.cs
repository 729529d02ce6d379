namespace Shrink.Cli;

/// <summary>Process exit codes: 0 ok, 1 failure (bad input, failed run), 2 usage.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}
