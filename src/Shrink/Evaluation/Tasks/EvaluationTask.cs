using Shrink.Data;

namespace Shrink.Evaluation.Tasks;

/// <summary>
/// What a model is evaluated for (classification, language modelling, embeddings, regression, plain fidelity): the task
/// may reshape the data into the model's inputs (a language model reads a window without its last token), receives the
/// model's (and the reference's) outputs batch by batch, and states its metrics at the end. One instance per evaluation;
/// named in <see cref="EvaluationTasks.Registry"/> by <see cref="Registration.RegisteredAttribute"/>.
/// </summary>
public abstract class EvaluationTask
{
    /// <summary>The registered name.</summary>
    public abstract string Name { get; }

    /// <summary>The inputs the data must fit, given the model's (the default: the model's own).</summary>
    public virtual IReadOnlyList<ModelInputSpec> DataInputs(IReadOnlyList<ModelInputSpec> modelInputs) => modelInputs;

    /// <summary>The batch the models run on, made from a batch of the data (the default: the batch itself).</summary>
    public virtual DataBatch ModelBatch(DataBatch data) => data;

    /// <summary>The data as the models read it (for shape probes and timing; the default: the data itself, not wrapped).</summary>
    public virtual IDataSource ModelData(IDataSource data) => data;

    /// <summary>Adds one batch of outputs.</summary>
    /// <exception cref="ShrinkException">The outputs do not suit the task (the message names the model and the output).</exception>
    public abstract void Add(TaskBatch batch);

    /// <summary>The metrics over everything added so far (empty when the task measured nothing, e.g. no labels).</summary>
    public abstract IReadOnlyList<TaskMetric> Metrics();

    /// <summary>What the metrics were computed over, in words (for the report).</summary>
    public virtual IReadOnlyList<string> Notes() => [];
}
