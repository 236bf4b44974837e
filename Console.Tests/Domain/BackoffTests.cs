using OperatorConsole.Domain.Common;

namespace OperatorConsole.Tests.Domain;

public class BackoffTests
{
    private static double[] Seconds(Backoff backoff, int attempts) =>
        Enumerable.Range(1, attempts).Select(n => backoff.Delay(n).TotalSeconds).ToArray();

    [Fact]
    public void Webhook_deliveries_wait_2_4_8_seconds_and_so_on_up_to_5_minutes()
    {
        Assert.Equal([2, 4, 8, 16, 32, 64, 128, 256, 300, 300], Seconds(Backoff.WebhookDelivery, 10));
    }

    [Fact]
    public void Media_fetches_wait_4_16_64_256_and_1024_seconds()
    {
        Assert.Equal([4, 16, 64, 256, 1024], Seconds(Backoff.MediaFetch, 5));
    }

    [Fact]
    public void Without_jitter_the_delay_is_the_same_every_time()
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(250), 2, TimeSpan.FromSeconds(15));
        Assert.Equal([0.25, 0.5, 1, 2, 4, 8, 15, 15], Seconds(backoff, 8));
        Assert.Equal(backoff.Delay(5), backoff.Delay(5, new Random(1)));
    }

    [Fact]
    public void Jitter_spreads_the_capped_delay_by_its_fraction_either_way()
    {
        var delays = Enumerable.Range(0, 2000).Select(_ => Backoff.OutboundSend.Delay(1).TotalSeconds).ToList();
        Assert.All(delays, d => Assert.InRange(d, 1.5, 2.5));
        Assert.True(delays.Min() < 1.6 && delays.Max() > 2.4, "the jitter covers its range");
        Assert.All(Enumerable.Range(0, 200).Select(_ => Backoff.OutboundSend.Delay(20).TotalSeconds), d => Assert.InRange(d, 225, 375));
    }

    [Fact]
    public void Jitter_is_drawn_from_the_given_random_source()
    {
        var draw = new Random(42).NextDouble();
        Assert.Equal(TimeSpan.FromSeconds(8 * (0.75 + draw * 0.5)), Backoff.OutboundSend.Delay(3, new Random(42)));
    }

    [Fact]
    public void There_is_no_attempt_zero()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.WebhookDelivery.Delay(0));
    }

    [Fact]
    public void A_long_run_of_failures_stays_at_the_cap_instead_of_overflowing()
    {
        Assert.Equal(TimeSpan.FromMinutes(5), Backoff.WebhookDelivery.Delay(10_000));
        Assert.Equal(TimeSpan.MaxValue, Backoff.MediaFetch.Delay(10_000));
    }
}
