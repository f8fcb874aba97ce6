// Package kernels is segstack's image-processing API: a scipy.ndimage-exact
// Gaussian filter, reductions, thresholds and connected-component labelling,
// behind the Backend interface so that the CPU (SIMD or pure Go) and CUDA
// implementations are interchangeable.
package kernels
