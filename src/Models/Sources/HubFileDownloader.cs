using System.Buffers;
using System.Net;
using System.Security.Cryptography;

namespace LlmQueue.Models.Sources;

/// <summary>
/// Downloads one file into place: bytes go to &lt;destination&gt;.incomplete (resumed with a Range request when
/// one is left over), are checked against the size and, for LFS files, the sha256 the Hub announced, and are then
/// renamed into place, so a destination file that exists is always complete and verified.
/// </summary>
internal sealed class HubFileDownloader(HubClient hub, ModelSourceOptions options)
{
    private const int BufferSize = 1 << 20;
    private const long ProgressStep = 4L << 20;

    public async Task DownloadAsync(Uri url, string destination, string fileName, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        string partial = destination + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        for (int attempt = 1; ; attempt++)
        {
            Exception failure;
            try
            {
                await DownloadOnceAsync(url, partial, fileName, progress, cancellationToken);
                File.Move(partial, destination, overwrite: true);
                return;
            }
            catch (CorruptDownloadException e)
            {
                // Resuming would keep the bad bytes: start this file over.
                File.Delete(partial);
                failure = e;
            }
            catch (Exception e) when (IsTransient(e, cancellationToken))
            {
                failure = e;
            }

            if (attempt >= options.MaxAttempts)
            {
                throw new ModelSourceException($"{fileName}: download from {url} failed after {attempt} attempt(s): {failure.Message}", failure);
            }

            await Task.Delay(options.RetryDelay * attempt, cancellationToken);
        }
    }

    private static bool IsTransient(Exception e, CancellationToken cancellationToken) =>
        e is IOException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private async Task DownloadOnceAsync(Uri url, string partial, string fileName, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        // FileShare.None also keeps a second process sharing the cache from writing the same partial file.
        await using var file = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 1, useAsync: true);
        long offset = file.Length;
        using var response = await hub.GetAsync(url, offset, cancellationToken);
        var message = response.Message;
        if (message.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
        {
            file.SetLength(0);
            throw new TransientDownloadException($"{fileName}: the server refused to resume at byte {offset}; starting over.");
        }

        hub.EnsureSuccess(message, fileName);
        if (message.StatusCode == HttpStatusCode.PartialContent)
        {
            var range = message.Content.Headers.ContentRange;
            if (range?.From != offset)
            {
                throw new CorruptDownloadException($"{fileName}: asked to resume at byte {offset} but the server sent range {range}.");
            }
        }
        else
        {
            // A full answer to a Range request (the server ignored it): replace what we had.
            offset = 0;
            file.SetLength(0);
        }

        long? total = response.Metadata.LinkedSize
            ?? (offset > 0 ? message.Content.Headers.ContentRange?.Length : message.Content.Headers.ContentLength);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await HashExistingAsync(file, offset, hash, cancellationToken);
        progress?.Report(new DownloadProgress(fileName, offset, total));

        await using var body = await message.Content.ReadAsStreamAsync(cancellationToken);
        long done = await CopyAsync(body, file, hash, offset, fileName, total, progress, cancellationToken);
        await file.FlushAsync(cancellationToken);
        file.Flush(flushToDisk: true);
        Verify(fileName, done, total, response.Metadata.Sha256, hash);
        progress?.Report(new DownloadProgress(fileName, done, done));
    }

    private static async Task HashExistingAsync(FileStream file, long length, IncrementalHash hash, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            file.Position = 0;
            for (long left = length; left > 0;)
            {
                int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken);
                if (read == 0)
                {
                    throw new TransientDownloadException($"{file.Name}: shrank while being read.");
                }

                hash.AppendData(buffer, 0, read);
                left -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<long> CopyAsync(Stream body, FileStream file, IncrementalHash hash, long done, string fileName, long? total,
        IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        using var stall = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            long lastReported = done;
            while (true)
            {
                // Each read must deliver within the read timeout; a stalled connection counts as interrupted.
                stall.CancelAfter(options.ReadTimeout);
                int read;
                try
                {
                    read = await body.ReadAsync(buffer.AsMemory(0, buffer.Length), stall.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TransientDownloadException($"{fileName}: no data for {options.ReadTimeout.TotalSeconds:0} s at byte {done}.");
                }

                if (read == 0)
                {
                    return done;
                }

                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                hash.AppendData(buffer, 0, read);
                done += read;
                if (done - lastReported >= ProgressStep)
                {
                    progress?.Report(new DownloadProgress(fileName, done, total));
                    lastReported = done;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void Verify(string fileName, long size, long? expectedSize, string? expectedSha256, IncrementalHash hash)
    {
        if (size < expectedSize)
        {
            throw new TransientDownloadException($"{fileName}: the connection ended after {size} of {expectedSize} bytes.");
        }

        if (size > expectedSize)
        {
            throw new CorruptDownloadException($"{fileName}: got {size} bytes, expected {expectedSize}.");
        }

        if (expectedSha256 is not null)
        {
            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (actual != expectedSha256)
            {
                throw new CorruptDownloadException($"{fileName}: sha256 {actual} does not match the expected {expectedSha256}.");
            }
        }
    }
}
