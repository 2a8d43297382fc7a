using LlmQueue.Models.Tokenization;

namespace LlmQueue.Models.Tests.Tokenization;

public class WordCacheTests
{
    [Fact]
    public void Keeps_words_up_to_4096_characters_and_not_longer()
    {
        var cache = new WordCache();
        var indentation = new string(' ', 300);
        var longest = new string('x', 4096);
        var tooLong = new string('y', 4097);
        cache.Add(indentation, [1, 2]);
        cache.Add(longest, [3]);
        cache.Add(tooLong, [4]);

        Assert.True(cache.TryGet(indentation, out var ids));
        Assert.Equal([1, 2], ids);
        Assert.True(cache.TryGet(longest, out _));
        Assert.False(cache.TryGet(tooLong, out _));
    }

    [Fact]
    public void Starts_over_when_the_words_held_pass_four_million_characters()
    {
        var cache = new WordCache();
        var first = new string('a', 4000);
        cache.Add(first, [1]);

        // 1,048 more words of 4,000 distinct characters reach 4,196,000 characters: past 4,194,304, so the cache
        // was emptied once on the way and the first word is gone, while the last is kept.
        string last = "";
        for (var i = 0; i < 1048; i++)
        {
            last = i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture) + new string('b', 3994);
            cache.Add(last, [i]);
        }

        Assert.False(cache.TryGet(first, out _));
        Assert.True(cache.TryGet(last, out var ids));
        Assert.Equal([1047], ids);
    }
}
