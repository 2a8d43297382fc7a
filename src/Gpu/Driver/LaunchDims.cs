namespace LlmQueue.Gpu.Driver;

/// <summary>A kernel launch shape: grid and block extents and dynamic shared memory bytes.</summary>
public readonly record struct LaunchDims(int GridX, int GridY, int GridZ, int BlockX, int SharedBytes = 0)
{
    public static LaunchDims Grid1D(int blocks, int threads) => new(blocks, 1, 1, threads);

    /// <summary>Throws when an extent is outside what every CUDA device accepts (zero launches are errors on the device).</summary>
    public void Validate(string kernel)
    {
        if (GridX is < 1 or > int.MaxValue || GridY is < 1 or > 65535 || GridZ is < 1 or > 65535 || BlockX is < 1 or > 1024 || SharedBytes < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(kernel), $"{kernel}: launch shape {this} is outside the device limits (grid >= 1, y/z <= 65535, block 1..1024).");
        }
    }
}
