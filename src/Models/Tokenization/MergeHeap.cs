namespace LlmQueue.Models.Tokenization;

/// <summary>
/// A binary min-heap of candidate merges over caller-provided storage, keyed by (rank, position) packed in a
/// long so that the lowest rank pops first and, among equal ranks, the leftmost position.
/// </summary>
internal ref struct MergeHeap
{
    private readonly Span<long> _items;
    private int _count;

    public MergeHeap(Span<long> storage)
    {
        _items = storage;
        _count = 0;
    }

    public void Push(int rank, int position)
    {
        var item = ((long)rank << 32) | (uint)position;
        var i = _count++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (_items[parent] <= item)
            {
                break;
            }

            _items[i] = _items[parent];
            i = parent;
        }

        _items[i] = item;
    }

    public bool TryPop(out int rank, out int position)
    {
        if (_count == 0)
        {
            rank = 0;
            position = 0;
            return false;
        }

        var top = _items[0];
        rank = (int)(top >> 32);
        position = (int)top;
        var last = _items[--_count];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= _count)
            {
                break;
            }

            if (child + 1 < _count && _items[child + 1] < _items[child])
            {
                child++;
            }

            if (last <= _items[child])
            {
                break;
            }

            _items[i] = _items[child];
            i = child;
        }

        _items[i] = last;
        return true;
    }
}
