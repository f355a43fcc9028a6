using Microsoft.Extensions.Configuration;
using Polyglot.Crud.Caching;

namespace Polyglot.Crud.Tests;

/// <summary>
/// The generated validators still hold the annotated limits (they replaced reflection-based
/// validation), a setting that picks one of several is taken by name only, and every setting is
/// on docs/settings.md.
/// </summary>
public sealed class OptionsTests
{
    [Fact]
    public void OutboxSettingsOutsideTheirRangesAreRefusedAndTheDefaultsAccepted()
    {
        var validator = new OutboxOptionsValidator();

        Assert.True(validator.Validate(null, new OutboxOptions()).Succeeded);
        var refused = validator.Validate(null, new OutboxOptions { BatchSize = 0, Retention = TimeSpan.Zero });
        Assert.True(refused.Failed);
        Assert.Contains(nameof(OutboxOptions.BatchSize), refused.FailureMessage);
        Assert.Contains(nameof(OutboxOptions.Retention), refused.FailureMessage);
    }

    [Theory]
    [InlineData(null, Topology.Split)]
    [InlineData("monolith", Topology.Monolith)]
    [InlineData("Split", Topology.Split)]
    public void TheTopologySettingNamesATopologyInAnyCaseAndIsTheSplitWhenUnset(string? value, Topology expected) =>
        Assert.Equal(expected, Configuration(value).Choice<Topology>("Topology"));

    [Theory]
    [InlineData("Microservices")]
    [InlineData("1")]
    [InlineData("Split,Monolith")]
    public void ATopologySettingThatNamesNoneStopsTheServiceSayingWhatItMayBe(string value)
    {
        var refused = Assert.Throws<InvalidOperationException>(() => Configuration(value).Choice<Topology>("Topology"));

        Assert.Equal($"Topology is '{value}': set it to Split or Monolith.", refused.Message);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("Sqlite,Postgres")]
    [InlineData("SqlServer")]
    public void CrudGivenADatabaseProviderThatNamesNoneDoesNotStartAndSaysWhatItMayBe(string value)
    {
        // The configuration binder took "1" and "Sqlite,Postgres" as Postgres, and the annotation
        // checking the bound value let them through.
        var refused = Assert.ThrowsAny<Exception>(() => new ServiceHost<BoardsService>(new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = value,
            ["ConnectionStrings:db"] = SqliteFile.NewConnectionString(),
        }));

        Assert.Contains($"Database:Provider is '{value}': set it to Sqlite or Postgres.", refused.ToString());
    }

    [Theory]
    [InlineData("Sqlite", "bus", "rabbit.internal:5672", "is not an AMQP URI such as amqp://user:password@host:5672/.")]
    [InlineData("Sqlite", "bus", "http://crud:s3cret@rabbit.internal:5672/", "is not an AMQP URI such as amqp://user:password@host:5672/.")]
    [InlineData("Postgres", "db", "postgres://crud:s3cret@db.internal/boards", "is not a Postgres connection string (Host=…;Database=…;Username=…;Password=…)")]
    [InlineData("Postgres", "db", "Host=db.internal;Pasword=s3cret", "is not a Postgres connection string (Host=…;Database=…;Username=…;Password=…)")]
    [InlineData("Sqlite", "db", "Data Sorce=crud.db;Password=s3cret", "is not a Sqlite connection string (Data Source=path/to/crud.db)")]
    public void CrudGivenAConnectionStringOfTheWrongFormDoesNotStartNamingItAndNotItsSecret(string provider, string name, string value, string form)
    {
        var refused = Assert.ThrowsAny<Exception>(() => new ServiceHost<BoardsService>(new Dictionary<string, string?>(LocalAuth.Shared.CrudSettings(":")!)
        {
            ["Database:Provider"] = provider,
            ["ConnectionStrings:db"] = name == "db" ? value : SqliteFile.NewConnectionString(),
            ["ConnectionStrings:bus"] = name == "bus" ? value : null,
            ["Topology"] = name == "db" ? "Monolith" : "Split",
        }));

        Assert.StartsWith($"ConnectionStrings:{name} {form}", refused.Message);
        Assert.DoesNotContain("s3cret", refused.ToString());
    }

    private static IConfiguration Configuration(string? topology) =>
        new ConfigurationBuilder().AddInMemoryCollection([new("Topology", topology)]).Build();

    [Theory]
    [InlineData(typeof(OutboxOptions), OutboxOptions.Section)]
    [InlineData(typeof(ReadCacheOptions), ReadCacheOptions.Section)]
    public void EverySettingIsOnTheSettingsPage(Type options, string section) => Assert.Empty(SettingsPage.Undocumented(options, section));

    [Theory]
    [InlineData(AppModelNames.TopologySetting)]
    [InlineData(AppModelNames.BusKindSetting)]
    [InlineData(AppModelNames.DatabaseProviderSetting)]
    public void EverySettingThatPicksOneOfSeveralIsOnTheSettingsPage(string setting) => Assert.True(SettingsPage.Names(setting), setting);
}
