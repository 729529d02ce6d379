namespace Shrink.Registration;

/// <summary>One registered extension: its name, one-line summary and implementing type.</summary>
public sealed record RegistryEntry(string Name, string Summary, Type Type, int Order);
