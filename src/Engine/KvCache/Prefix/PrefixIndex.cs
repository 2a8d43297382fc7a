namespace LlmQueue.Engine.KvCache.Prefix;

/// <summary>
/// The cached blocks: block hash -> node, each node holding at most one cached small page per layer
/// type, linked to its parent block's node so a dead prefix can be dropped with everything below it.
/// Fixed-capacity arrays: every live node holds at least one page, so nodes never outnumber pages.
/// </summary>
internal sealed class PrefixIndex
{
    private readonly int _types;
    private readonly Dictionary<BlockHash, int> _byHash;
    private readonly BlockHash[] _hash;
    private readonly int[] _pages;
    private readonly int[] _pageCount;
    private readonly int[] _parent;
    private readonly int[] _block;
    private readonly int[] _firstChild;
    private readonly int[] _nextSibling;
    private readonly int[] _prevSibling;
    private readonly int[] _freeNodes;
    private int _freeNodeCount;

    public PrefixIndex(int types, int capacity)
    {
        _types = types;
        _byHash = new Dictionary<BlockHash, int>(capacity);
        _hash = new BlockHash[capacity];
        _pages = new int[capacity * types];
        Array.Fill(_pages, -1);
        _pageCount = new int[capacity];
        _parent = new int[capacity];
        _block = new int[capacity];
        _firstChild = new int[capacity];
        _nextSibling = new int[capacity];
        _prevSibling = new int[capacity];
        _freeNodes = new int[capacity];
        for (var i = 0; i < capacity; i++)
        {
            _freeNodes[i] = capacity - 1 - i;
        }

        _freeNodeCount = capacity;
    }

    public int Count => _byHash.Count;

    public int Find(in BlockHash hash) => _byHash.TryGetValue(hash, out var node) ? node : -1;

    public int Page(int node, int type) => _pages[(node * _types) + type];

    public int FirstChild(int node) => _firstChild[node];

    public int NextSibling(int node) => _nextSibling[node];

    /// <summary>The parent block's node, -1 for a first block or when the parent left the cache.</summary>
    public int Parent(int node) => _parent[node];

    /// <summary>Which block of the prompt the node caches (0 = first).</summary>
    public int Block(int node) => _block[node];

    public int PageCount(int node) => _pageCount[node];

    /// <summary>A new node with no pages for prompt block <paramref name="block"/>, under <paramref name="parent"/> (-1 for none).</summary>
    public int Add(in BlockHash hash, int parent, int block)
    {
        if (_freeNodeCount == 0)
        {
            throw new InvalidOperationException("Prefix index full: a node was kept without pages.");
        }

        var node = _freeNodes[--_freeNodeCount];
        _byHash.Add(hash, node);
        _hash[node] = hash;
        _pageCount[node] = 0;
        _firstChild[node] = -1;
        _parent[node] = parent;
        _block[node] = block;
        _prevSibling[node] = -1;
        _nextSibling[node] = parent >= 0 ? _firstChild[parent] : -1;
        if (parent >= 0)
        {
            if (_firstChild[parent] >= 0)
            {
                _prevSibling[_firstChild[parent]] = node;
            }

            _firstChild[parent] = node;
        }

        return node;
    }

    public void SetPage(int node, int type, int page)
    {
        ref var slot = ref _pages[(node * _types) + type];
        if (slot >= 0)
        {
            throw new InvalidOperationException($"Prefix node {_hash[node]} already caches a page of type {type}.");
        }

        slot = page;
        _pageCount[node]++;
    }

    public void ClearPage(int node, int type)
    {
        _pages[(node * _types) + type] = -1;
        _pageCount[node]--;
    }

    /// <summary>Unlinks and frees a node whose pages are all cleared; its children become roots.</summary>
    public void Remove(int node)
    {
        if (_pageCount[node] != 0)
        {
            throw new InvalidOperationException($"Prefix node {_hash[node]} removed while it still caches pages.");
        }

        for (var child = _firstChild[node]; child >= 0; child = _nextSibling[child])
        {
            _parent[child] = -1;
        }

        var parent = _parent[node];
        var prev = _prevSibling[node];
        var next = _nextSibling[node];
        if (prev >= 0)
        {
            _nextSibling[prev] = next;
        }
        else if (parent >= 0)
        {
            _firstChild[parent] = next;
        }

        if (next >= 0)
        {
            _prevSibling[next] = prev;
        }

        _byHash.Remove(_hash[node]);
        _freeNodes[_freeNodeCount++] = node;
    }
}
