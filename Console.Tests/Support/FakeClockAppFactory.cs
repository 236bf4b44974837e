using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace OperatorConsole.Tests.Support;

/// <summary>
/// An app whose every clock reading (domain rules, queues, cookies) comes from <see cref="Clock"/>, which only moves when
/// the test advances it: time-based rules are asserted to the microsecond instead of waited for on the wall clock.
/// </summary>
/// <param name="existingDatabase">Another instance's database (a restart after a crash); null: a fresh one, dropped at the end.</param>
public sealed class FakeClockAppFactory(IReadOnlyDictionary<string, string?>? settings = null, string? existingDatabase = null)
    : ConsoleAppFactory(existingDatabase, settings)
{
    // Whole seconds near the real time: PostgreSQL keeps microseconds, and channel timestamps stay plausible.
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
    }
}
