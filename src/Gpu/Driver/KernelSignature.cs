namespace LlmQueue.Gpu.Driver;

/// <summary>
/// A kernel's name and parameter list as the CUDA source declares it: launches are built against it by name
/// (<see cref="KernelArguments"/>), the compile check compares it with the PTX entry, and the C# references read
/// their inputs through it.
/// </summary>
public sealed class KernelSignature
{
    private readonly KernelParam[] _parameters;

    public KernelSignature(string name, params KernelParam[] parameters)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(parameters);
        Name = name;
        _parameters = parameters;
        if (parameters.Select(p => p.Name).Distinct(StringComparer.Ordinal).Count() != parameters.Length)
        {
            throw new ArgumentException($"Kernel {name} declares a parameter name twice.", nameof(parameters));
        }
    }

    public string Name { get; }

    public IReadOnlyList<KernelParam> Parameters => _parameters;

    public int IndexOf(string parameter)
    {
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (string.Equals(_parameters[i].Name, parameter, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"Kernel {Name} has no parameter '{parameter}'.", nameof(parameter));
    }

    /// <summary>An empty argument list to fill in declaration order.</summary>
    public KernelArguments Arguments() => new(this);

    /// <summary>The same parameter list under another entry name (the head-dim instances of one template).</summary>
    public KernelSignature Renamed(string name) => new(name, _parameters);

    public override string ToString() => $"{Name}({string.Join(", ", _parameters.Select(p => $"{p.Kind} {p.Name}"))})";
}
