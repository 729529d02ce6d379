namespace Shrink.Cli;

/// <summary>A malformed command line (bad option value); exits with code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
