r"""Learning rules with and without backpropagation.

Everything the chapter "Learning without backpropagation" computes, following the notes
"Learning algorithms" (seed ``002_592b791eec23135f.txt``) with the corrections and the missing
standard statements of ``seeds/ERRATA.md`` (section 002):

* backpropagation derived as constrained optimisation (LeCun 1988): the Lagrange multipliers of
  the layer-consistency constraints (:func:`lagrange_multipliers`) against the chain-rule deltas
  (:func:`backprop`);
* weight perturbation (WP, Jabri and Flower 1992), node perturbation (NP, Williams 1992) and
  gradient descent (GD) on the student-teacher linear model of Werfel, Xie and Seung (2004, 2005),
  in the notes' raw form and the baseline-subtracted form, with the exact mean learning curves of
  the online rules (:func:`student_teacher_learning_curve`);
* weight and node perturbation on a nonlinear multi-layer network with every layer perturbed at
  once, as the notes derive them (:func:`mlp_perturbation_estimates`), their O(sigma^2) bias
  measured with low variance (:func:`perturbation_bias`) and predicted
  (:func:`perturbation_bias_prediction`);
* the logistic sigmoid and the hyperbolic tangent, and the equivalent one-hidden-layer networks;
* the linear neuron and its normal equations (minimum-norm solution when there are fewer samples
  than dimensions);
* Hebbian, Oja (1982) and Sanger (1989) rules;
* the two-layer deep linear network and the closed-form mode strengths of Saxe, McClelland and
  Ganguli (2014);
* the perceptron and the Novikoff (1962) mistake bound.

The hot loops (online student-teacher training, the Hebbian family) are numba kernels, each with
a plain numpy reference (``_name_numpy``) and a parity test; randomness is drawn in the public
wrappers from ``numpy.random.default_rng(random_state)`` and handed to the kernels, so the same
seed gives the same numbers on either path.
"""

from kernelnet.learning_rules._activations import (
    one_hidden_layer,
    sigmoid,
    sigmoid_to_tanh_network,
    tanh_from_sigmoid,
)
from kernelnet.learning_rules._backprop import (
    backprop,
    flatten_params,
    lagrange_multipliers,
    lagrangian,
    lagrangian_gradients,
    mlp_forward,
    mlp_loss,
    unflatten_params,
)
from kernelnet.learning_rules._perturbation import (
    gd_update,
    mlp_perturbation_estimates,
    mlp_sample_gradient,
    node_perturbation_update,
    optimal_learning_rate,
    perturbation_bias,
    perturbation_bias_prediction,
    perturbation_estimator_variance,
    perturbation_gradient_estimates,
    student_teacher_gradient,
    student_teacher_learning_curve,
    train_student_teacher,
    TrainResult,
    weight_perturbation_update,
)
from kernelnet.learning_rules._linear import (
    decoupled_init,
    deep_linear_gd,
    deep_linear_gradients,
    linear_neuron_gd,
    linear_neuron_gradient,
    linear_neuron_hessian,
    linear_neuron_loss,
    mode_strengths,
    normal_equations,
    saxe_mode_strength,
)
from kernelnet.learning_rules._hebbian import (
    hebbian,
    oja,
    sanger,
    subspace_angles,
)
from kernelnet.learning_rules._perceptron import (
    novikoff_bound,
    perceptron,
    PerceptronResult,
    separable_data,
)

__all__ = [
    # activations and the equivalent networks
    "sigmoid",
    "tanh_from_sigmoid",
    "one_hidden_layer",
    "sigmoid_to_tanh_network",
    # backprop and its Lagrangian derivation
    "mlp_forward",
    "mlp_loss",
    "backprop",
    "lagrange_multipliers",
    "lagrangian",
    "lagrangian_gradients",
    "flatten_params",
    "unflatten_params",
    # WP and NP on a nonlinear multi-layer network
    "mlp_sample_gradient",
    "mlp_perturbation_estimates",
    "perturbation_bias",
    "perturbation_bias_prediction",
    # student-teacher model: GD, WP, NP
    "student_teacher_gradient",
    "perturbation_gradient_estimates",
    "perturbation_estimator_variance",
    "gd_update",
    "weight_perturbation_update",
    "node_perturbation_update",
    "optimal_learning_rate",
    "student_teacher_learning_curve",
    "train_student_teacher",
    "TrainResult",
    # linear neuron
    "linear_neuron_loss",
    "linear_neuron_gradient",
    "linear_neuron_hessian",
    "normal_equations",
    "linear_neuron_gd",
    # Hebbian family
    "hebbian",
    "oja",
    "sanger",
    "subspace_angles",
    # deep linear network
    "deep_linear_gradients",
    "deep_linear_gd",
    "saxe_mode_strength",
    "mode_strengths",
    "decoupled_init",
    # perceptron
    "perceptron",
    "PerceptronResult",
    "novikoff_bound",
    "separable_data",
]
