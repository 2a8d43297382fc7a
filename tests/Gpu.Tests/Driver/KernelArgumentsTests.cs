using LlmQueue.Gpu.Driver;
using LlmQueue.Gpu.Kernels;

namespace LlmQueue.Gpu.Tests.Driver;

public class KernelArgumentsTests
{
    [Fact]
    public void Arguments_are_checked_by_name_and_kind_in_declaration_order()
    {
        var arguments = KernelCatalog.LogitSoftcap.Arguments();
        Assert.Throws<InvalidOperationException>(() => arguments.I64("count", 3)); // 'logits' comes first
        arguments.Address("logits", new DevicePointer(0x1000));
        Assert.Throws<InvalidOperationException>(() => arguments.I32("count", 3)); // count is a long long
        arguments.I64("count", 3).F32("cap", 30f);
        Assert.True(arguments.IsComplete);
        Assert.Throws<InvalidOperationException>(() => arguments.F32("cap", 1f));
        Assert.Equal(new DevicePointer(0x1000), arguments.GetAddress("logits"));
        Assert.Equal(3L, arguments.GetI64("count"));
        Assert.Equal(30f, arguments.GetF32("cap"));
        Assert.Throws<InvalidOperationException>(() => arguments.GetI32("cap"));
    }

    [Fact]
    public void Values_sit_little_endian_in_eight_byte_slots_as_cuLaunchKernel_reads_them()
    {
        var arguments = KernelCatalog.GatedActivation.Arguments()
            .Address("gate_up", new DevicePointer(0x1122334455667788)).Address("out", DevicePointer.Null).I32("tokens", -2).I32("inter", 7).I32("gelu", 1);
        var slots = arguments.Slots;
        Assert.Equal(0x1122334455667788UL, slots[0]);
        Assert.Equal(0xFFFFFFFEUL, slots[2]); // int -2: four bytes, the rest of the slot unused
        Assert.Equal(-2, arguments.GetI32("tokens"));
    }

    [Fact]
    public void An_incomplete_launch_is_refused_naming_the_missing_parameter()
    {
        var arguments = KernelCatalog.LogitSoftcap.Arguments().Address("logits", new DevicePointer(8));
        var error = Assert.Throws<InvalidOperationException>(arguments.EnsureComplete);
        Assert.Contains("'count'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clone_keeps_the_values_it_had()
    {
        var arguments = KernelCatalog.LogitSoftcap.Arguments().Address("logits", new DevicePointer(8)).I64("count", 5).F32("cap", 2f);
        var copy = arguments.Clone();
        Assert.Equal(arguments.Slots.ToArray(), copy.Slots.ToArray());
        Assert.Same(arguments.Signature, copy.Signature);
    }

    [Fact]
    public void Every_attention_head_size_has_its_own_entry_with_one_parameter_list()
    {
        var lists = KernelCatalog.AttentionHeadDims.Select(d => KernelCatalog.PagedAttention(d)).ToArray();
        Assert.Equal(lists.Length, lists.Select(s => s.Name).Distinct().Count());
        Assert.All(lists, s => Assert.Equal(lists[0].Parameters, s.Parameters));
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelCatalog.PagedAttention(80));
    }

    [Theory]
    [InlineData(0, 1, 1, 128)]
    [InlineData(1, 70000, 1, 128)]
    [InlineData(1, 1, 1, 2048)]
    public void Launch_shapes_outside_the_device_limits_are_refused(int x, int y, int z, int block) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new LaunchDims(x, y, z, block).Validate("k"));
}
