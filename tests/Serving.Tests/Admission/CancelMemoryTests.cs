using LlmQueue.Serving.Admission;
using Microsoft.Extensions.Time.Testing;

namespace LlmQueue.Serving.Tests.Admission;

public sealed class CancelMemoryTests
{
    [Fact]
    public void A_cancel_is_remembered_until_its_lifetime_ends()
    {
        var time = new FakeTimeProvider();
        var memory = new CancelMemory(time, TimeSpan.FromMinutes(10));

        memory.Remember("r1");
        time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(memory.WasCancelled("r1"));
        Assert.False(memory.WasCancelled("r2"));

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(memory.WasCancelled("r1"));
    }

    [Fact]
    public void Beyond_its_capacity_the_oldest_cancels_are_forgotten_first()
    {
        var memory = new CancelMemory(new FakeTimeProvider(), TimeSpan.FromMinutes(10), capacity: 3);

        foreach (var id in new[] { "a", "b", "c", "d" })
        {
            memory.Remember(id);
        }

        Assert.Equal([false, true, true, true], new[] { "a", "b", "c", "d" }.Select(memory.WasCancelled));
    }

    [Fact]
    public void Remembering_an_id_again_extends_it_and_an_old_entry_does_not_evict_it()
    {
        var time = new FakeTimeProvider();
        var memory = new CancelMemory(time, TimeSpan.FromMinutes(10));

        memory.Remember("r");
        time.Advance(TimeSpan.FromMinutes(8));
        memory.Remember("r");
        time.Advance(TimeSpan.FromMinutes(8));
        memory.Remember("other");

        Assert.True(memory.WasCancelled("r"));
    }

    [Fact]
    public void A_zero_lifetime_remembers_nothing()
    {
        var memory = new CancelMemory(new FakeTimeProvider(), TimeSpan.Zero);

        memory.Remember("r");

        Assert.False(memory.WasCancelled("r"));
    }
}
