/** Optimizers with PyTorch's update rules, hyperparameters and state-dict layout. */
export {
  Optimizer,
  type Loss, type OptimizerParams, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type ParamState, type StateValue,
} from "./optimizer.js";
export { SGD, type SGDOptions } from "./sgd.js";
export { Adam, AdamW, type AdamOptions, type AdamWOptions } from "./adam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export { LBFGS, type LBFGSOptions } from "./lbfgs.js";
export {
  LRScheduler, LambdaLR, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau,
  type OneCycleLROptions, type ReduceLROnPlateauOptions, type SchedulerStateDict,
} from "./lr-scheduler.js";
/** The schedulers under PyTorch's module name: `optim.lrScheduler.StepLR` is `torch.optim.lr_scheduler.StepLR`. */
export * as lrScheduler from "./lr-scheduler.js";
