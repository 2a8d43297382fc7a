namespace LlmQueue.Gpu.Driver;

/// <summary>
/// The values of one kernel launch, appended in declaration order and checked against the signature by name and
/// kind as they are added, so a launch can never pass a value in the wrong slot. Each value sits in its own 8-byte
/// slot (little-endian, so a 4-byte value is at the slot's start), which is what cuLaunchKernel's parameter
/// pointer array addresses.
/// </summary>
public sealed class KernelArguments
{
    private readonly ulong[] _slots;
    private int _count;

    internal KernelArguments(KernelSignature signature)
    {
        Signature = signature;
        _slots = new ulong[signature.Parameters.Count];
    }

    public KernelSignature Signature { get; }

    public bool IsComplete => _count == _slots.Length;

    /// <summary>The raw slots, for the native launch.</summary>
    internal ReadOnlySpan<ulong> Slots => _slots;

    public KernelArguments Address(string name, DevicePointer value) => Append(name, KernelParamKind.Address, value.Address);

    public KernelArguments I32(string name, int value) => Append(name, KernelParamKind.I32, (uint)value);

    public KernelArguments I64(string name, long value) => Append(name, KernelParamKind.I64, (ulong)value);

    public KernelArguments F32(string name, float value) => Append(name, KernelParamKind.F32, BitConverter.SingleToUInt32Bits(value));

    public DevicePointer GetAddress(string name) => new(Read(name, KernelParamKind.Address));

    public int GetI32(string name) => (int)(uint)Read(name, KernelParamKind.I32);

    public long GetI64(string name) => (long)Read(name, KernelParamKind.I64);

    public float GetF32(string name) => BitConverter.UInt32BitsToSingle((uint)Read(name, KernelParamKind.F32));

    /// <summary>Throws unless every parameter has a value.</summary>
    public void EnsureComplete()
    {
        if (!IsComplete)
        {
            throw new InvalidOperationException($"Kernel {Signature.Name}: {_count} of {_slots.Length} arguments given; next is '{Signature.Parameters[_count].Name}'.");
        }
    }

    /// <summary>A copy (a captured graph keeps the values a launch had when it was recorded).</summary>
    public KernelArguments Clone()
    {
        var copy = new KernelArguments(Signature);
        _slots.CopyTo(copy._slots, 0);
        copy._count = _count;
        return copy;
    }

    private KernelArguments Append(string name, KernelParamKind kind, ulong value)
    {
        if (_count == _slots.Length)
        {
            throw new InvalidOperationException($"Kernel {Signature.Name} takes {_slots.Length} arguments; '{name}' is one too many.");
        }

        var expected = Signature.Parameters[_count];
        if (!string.Equals(expected.Name, name, StringComparison.Ordinal) || expected.Kind != kind)
        {
            throw new InvalidOperationException($"Kernel {Signature.Name}: argument {_count} is {expected.Kind} '{expected.Name}', not {kind} '{name}'.");
        }

        _slots[_count++] = value;
        return this;
    }

    private ulong Read(string name, KernelParamKind kind)
    {
        EnsureComplete();
        int index = Signature.IndexOf(name);
        if (Signature.Parameters[index].Kind != kind)
        {
            throw new InvalidOperationException($"Kernel {Signature.Name}: '{name}' is {Signature.Parameters[index].Kind}, read as {kind}.");
        }

        return _slots[index];
    }
}
