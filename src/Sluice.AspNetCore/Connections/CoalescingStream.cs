using System.Buffers;

namespace Sluice.Server.Connections;

/// <summary>
/// Wraps a WebSocket's transport stream so that, while the connection's writer drains a batch, every frame
/// is appended to one buffer and reaches the socket in a single write and flush instead of one per frame.
/// Outside a batch (pings, pongs, close) writes pass straight through.
/// </summary>
internal sealed class CoalescingStream(Stream inner) : Stream
{
    private const int InitialBuffer = 16 * 1024;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private byte[]? _pending;
    private int _count;
    private bool _coalescing;

    /// <summary>Bytes held for the current batch.</summary>
    public int Buffered => Volatile.Read(ref _count);

    /// <summary>From now on writes are held until <see cref="CommitAsync"/>.</summary>
    public async Task BeginBatchAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        _coalescing = true;
        _gate.Release();
    }

    /// <summary>Writes and flushes what is held; with <paramref name="endBatch"/>, writes pass through again.</summary>
    public async Task CommitAsync(bool endBatch, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_pending is not null && _count > 0)
            {
                await inner.WriteAsync(_pending.AsMemory(0, _count), cancellationToken);
                await inner.FlushAsync(cancellationToken);
            }
            Volatile.Write(ref _count, 0);
            if (endBatch)
            {
                _coalescing = false;
                if (_pending is not null)
                {
                    ArrayPool<byte>.Shared.Return(_pending);
                    _pending = null;
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_coalescing)
            {
                await inner.WriteAsync(buffer, cancellationToken);
                return;
            }
            EnsureRoom(buffer.Length);
            buffer.Span.CopyTo(_pending.AsSpan(_count));
            Volatile.Write(ref _count, _count + buffer.Length);
        }
        finally
        {
            _gate.Release();
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_coalescing)
                await inner.FlushAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void EnsureRoom(int length)
    {
        if (_pending is not null && _count + length <= _pending.Length)
            return;
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(InitialBuffer, (_count + length) * 2));
        if (_pending is not null)
        {
            _pending.AsSpan(0, _count).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_pending);
        }
        _pending = larger;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);
    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();
    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            inner.Dispose();
        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync();
        await base.DisposeAsync();
    }
}
