namespace LlmQueue.Engine.KvCache.Jenga;

/// <summary>Unreferenced cached pages of one layer type, least recently released first (intrusive, O(1)).</summary>
internal sealed class EvictableLru
{
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly bool[] _linked;
    private int _head = -1;
    private int _tail = -1;

    public EvictableLru(int pages)
    {
        _next = new int[pages];
        _prev = new int[pages];
        _linked = new bool[pages];
    }

    public int Count { get; private set; }

    /// <summary>Least recently released page, or -1.</summary>
    public int Oldest => _head;

    public bool Contains(int page) => _linked[page];

    public void Append(int page)
    {
        _prev[page] = _tail;
        _next[page] = -1;
        if (_tail >= 0)
        {
            _next[_tail] = page;
        }
        else
        {
            _head = page;
        }

        _tail = page;
        _linked[page] = true;
        Count++;
    }

    public void Remove(int page)
    {
        var prev = _prev[page];
        var next = _next[page];
        if (prev >= 0)
        {
            _next[prev] = next;
        }
        else
        {
            _head = next;
        }

        if (next >= 0)
        {
            _prev[next] = prev;
        }
        else
        {
            _tail = prev;
        }

        _linked[page] = false;
        Count--;
    }
}
