using System;
using System.Collections.Generic;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace NetDsl.Cli.Tests;

/// <summary>
/// A local HTTP server for the download tests: serves <see cref="Files"/> by the last segment of the requested path, a name in
/// <see cref="Truncated"/> with half its body and then a dropped connection, anything else with 404; counts the requests.
/// </summary>
public sealed class LocalFileServer : IDisposable
{
    readonly HttpListener listener = new();
    readonly Task serving;
    int requests;

    /// <summary>Starts serving under <c>http://127.0.0.1:&lt;free port&gt;/&lt;path&gt;</c>.</summary>
    /// <param name="path">The path the files are under, ending with '/' (<c>data/</c>).</param>
    public LocalFileServer(string path)
    {
        BaseUrl = $"http://127.0.0.1:{FreePort()}/{path}";
        listener.Prefixes.Add(BaseUrl);
        listener.Start();
        serving = Task.Run(Serve);
    }

    /// <summary>The files served, by name.</summary>
    public Dictionary<string, byte[]> Files { get; } = new();

    /// <summary>Names served with half their body, then a dropped connection: the client must notice the short body.</summary>
    public HashSet<string> Truncated { get; } = new();

    /// <summary>The URL the files are under, ending with '/'.</summary>
    public string BaseUrl { get; }

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref requests);

    /// <summary>A TCP port nothing listens on (at the time of the call).</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    async Task Serve()
    {
        while (listener.IsListening)
        {
            HttpListenerContext context;
            try { context = await listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            Interlocked.Increment(ref requests);
            var name = context.Request.Url!.AbsolutePath.Split('/').Last();
            if (!Files.TryGetValue(name, out var bytes))
            {
                context.Response.StatusCode = 404;
                context.Response.Close();
                continue;
            }
            context.Response.ContentLength64 = bytes.Length;
            if (Truncated.Contains(name))
            {
                await context.Response.OutputStream.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
                await context.Response.OutputStream.FlushAsync();
                context.Response.Abort();
                continue;
            }
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }

    /// <summary>Stops the server.</summary>
    public void Dispose()
    {
        listener.Close();
        try { serving.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
