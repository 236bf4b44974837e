using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using OperatorConsole.Infrastructure.Data;

namespace OperatorConsole.Tests.Scheduling;

/// <summary>
/// Work that meets a database outage in a process that stays up waits it out and then runs, instead of failing: a job of
/// a one-shot trigger (a scheduled message, a snooze waking, a handoff's SLA) whose failure left its work to the sweep a
/// minute and more later (found by <c>OutageSuiteTests</c>), and the give-back of an agent turn or a send that never left,
/// whose failure held it for its whole lease. Other failures are still reported at once.
/// </summary>
public class DatabaseOutageTests
{
    /// <summary>The error Npgsql raises when PostgreSQL is not there: a real connection attempt to a port nobody listens on.</summary>
    private static async Task RefusedAsync(CancellationToken ct)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using var conn = new NpgsqlConnection($"Host=127.0.0.1;Port={port};Username=x;Password=x;Timeout=2;Pooling=false");
        await conn.OpenAsync(ct);
    }

    [Fact]
    public async Task A_job_that_meets_a_database_outage_runs_its_work_once_the_database_answers_again()
    {
        var attempts = 0;
        var done = false;
        await DatabaseOutage.WaitOutAsync("Job scheduled-item.test", async ct =>
        {
            // Down for the first two attempts, then back.
            if (++attempts <= 2) await RefusedAsync(ct);
            done = true;
        }, NullLogger.Instance, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(done);
        Assert.Equal(3, attempts);
    }

    [Fact]
    public async Task A_failure_other_than_the_database_being_down_is_reported_at_once()
    {
        var attempts = 0;
        await Assert.ThrowsAsync<FormatException>(() => DatabaseOutage.WaitOutAsync("Job scheduled-item.test", _ =>
        {
            attempts++;
            throw new FormatException("a bug, not an outage");
        }, NullLogger.Instance, CancellationToken.None));
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task A_node_stopping_during_the_outage_ends_the_wait()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        // Stopped while waiting (cancelled) or while trying (the outage's own error): either way it ends, well before the timeout.
        var ended = await Record.ExceptionAsync(() =>
            DatabaseOutage.WaitOutAsync("Job scheduled-item.test", RefusedAsync, NullLogger.Instance, stopping.Token).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.True(ended is OperationCanceledException or NpgsqlException, $"ended with {ended}");
    }
}
