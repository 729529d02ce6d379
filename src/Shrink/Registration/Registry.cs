using System.Reflection;

namespace Shrink.Registration;

/// <summary>
/// Named extensions of one kind (<typeparamref name="T"/> is their interface). Names are unique: registering one twice
/// throws. Entries come from <see cref="RegisteredAttribute"/> on the classes of an assembly (<see cref="Discover"/>),
/// so help text, recipes, validation and the generated docs all read the same names.
/// </summary>
public sealed class Registry<T> where T : class
{
    private readonly Dictionary<string, RegistryEntry> entries = new(StringComparer.Ordinal);

    /// <summary>An empty registry; <paramref name="kind"/> names the extension in messages ("calibration method").</summary>
    public Registry(string kind) => Kind = kind;

    /// <summary>What the entries are, in words.</summary>
    public string Kind { get; }

    /// <summary>The entries in listing order.</summary>
    public IReadOnlyList<RegistryEntry> Entries => [.. entries.Values.OrderBy(e => e.Order).ThenBy(e => e.Name, StringComparer.Ordinal)];

    /// <summary>The registered names in listing order.</summary>
    public IReadOnlyList<string> Names => [.. Entries.Select(e => e.Name)];

    /// <summary>
    /// The registry of every non-abstract class in <paramref name="assembly"/> (default: Shrink's) that implements
    /// <typeparamref name="T"/> and carries <see cref="RegisteredAttribute"/>.
    /// </summary>
    public static Registry<T> Discover(string kind, Assembly? assembly = null)
    {
        var registry = new Registry<T>(kind);
        foreach (var type in (assembly ?? typeof(Registry<T>).Assembly).GetTypes())
        {
            if (type.IsAbstract || !typeof(T).IsAssignableFrom(type)) continue;
            var attribute = type.GetCustomAttribute<RegisteredAttribute>(inherit: false);
            if (attribute is not null) registry.Add(new RegistryEntry(attribute.Name, attribute.Summary, type, attribute.Order));
        }
        return registry;
    }

    /// <summary>Adds an entry; a name already taken throws <see cref="InvalidOperationException"/> naming both types.</summary>
    public void Add(RegistryEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (string.IsNullOrWhiteSpace(entry.Name)) throw new InvalidOperationException($"A {Kind} ({entry.Type.Name}) has an empty name.");
        if (!typeof(T).IsAssignableFrom(entry.Type)) throw new InvalidOperationException($"{entry.Type.Name} is not a {typeof(T).Name}.");
        if (!entries.TryAdd(entry.Name, entry))
            throw new InvalidOperationException($"Two {Kind}s are named '{entry.Name}': {entries[entry.Name].Type.Name} and {entry.Type.Name}.");
    }

    /// <summary>Whether <paramref name="name"/> is registered.</summary>
    public bool Contains(string name) => entries.ContainsKey(name);

    /// <summary>The entry named <paramref name="name"/>; an unknown name throws <see cref="ShrinkException"/> listing the valid ones.</summary>
    public RegistryEntry Get(string name)
    {
        if (entries.TryGetValue(name, out var entry)) return entry;
        var close = Names.Where(n => n.StartsWith(name, StringComparison.OrdinalIgnoreCase) || name.StartsWith(n, StringComparison.OrdinalIgnoreCase)
            || n.Equals(name, StringComparison.OrdinalIgnoreCase)).ToList();
        var hint = close.Count > 0 ? $" Did you mean {string.Join(" or ", close)}?" : "";
        throw new ShrinkException($"Unknown {Kind} '{name}'; use one of {string.Join(", ", Names)}.{hint}");
    }

    /// <summary>
    /// A new instance of the entry named <paramref name="name"/>: its constructor taking the given arguments' types
    /// (e.g. the method's settings record), or its parameterless one when none are given.
    /// </summary>
    public T Create(string name, params object[] arguments)
    {
        var entry = Get(name);
        var types = arguments.Select(a => a.GetType()).ToArray();
        var constructor = entry.Type.GetConstructors().FirstOrDefault(c => Matches(c.GetParameters(), types))
            ?? throw new InvalidOperationException($"The {Kind} '{name}' ({entry.Type.Name}) has no public constructor taking ({string.Join(", ", types.Select(t => t.Name))}).");
        return (T)constructor.Invoke(arguments);
    }

    private static bool Matches(ParameterInfo[] parameters, Type[] types) =>
        parameters.Length == types.Length && parameters.Zip(types).All(p => p.First.ParameterType.IsAssignableFrom(p.Second));
}
