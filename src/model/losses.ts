// Training losses. Embeddings are rows: audio a (B x d), visual v (B x d), row i of each from clip i
// unless a pair label says otherwise.
import { tf } from './backend.js';

const EPS = 1e-9;

function rowDistance(a: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
  return tf.sqrt(tf.add(tf.sum(tf.square(tf.sub(a, v)), 1), EPS)) as tf.Tensor1D;
}

/**
 * Contrastive loss of the reference (Hadsell et al. 2006): label 1 pulls a pair together, label 0
 * pushes it beyond `margin`. Averaged over the batch.
 */
export function contrastiveLoss(a: tf.Tensor2D, v: tf.Tensor2D, label: tf.Tensor1D, margin = 1): tf.Scalar {
  const d = rowDistance(a, v);
  const pos = tf.mul(label, tf.square(d));
  const neg = tf.mul(tf.sub(1, label), tf.square(tf.relu(tf.sub(margin, d))));
  return tf.mean(tf.add(pos, neg));
}

/**
 * Symmetric InfoNCE over in-batch negatives (CLIP-style): every other clip of the batch is a negative
 * for both audio-to-video and video-to-audio. Inputs are expected L2-normalised.
 */
export function infoNceLoss(a: tf.Tensor2D, v: tf.Tensor2D, temperature: number): tf.Scalar {
  const logits = tf.div(tf.matMul(a, tf.transpose(v)), temperature) as tf.Tensor2D;
  const n = logits.shape[0];
  const labels = tf.oneHot(tf.range(0, n, 1, 'int32'), n);
  const l1 = tf.losses.softmaxCrossEntropy(labels, logits);
  const l2 = tf.losses.softmaxCrossEntropy(labels, tf.transpose(logits));
  return tf.div(tf.add(l1, l2), 2);
}

/** Triplet loss with the hardest in-batch negative per anchor, both directions. */
export function hardTripletLoss(a: tf.Tensor2D, v: tf.Tensor2D, margin: number): tf.Scalar {
  const n = a.shape[0];
  // squared distances via |a|^2 + |v|^2 - 2 a.v
  const aa = tf.sum(tf.square(a), 1, true);
  const vv = tf.sum(tf.square(v), 1, true);
  const d2 = tf.relu(tf.sub(tf.add(aa, tf.transpose(vv)), tf.mul(2, tf.matMul(a, tf.transpose(v)))));
  const d = tf.sqrt(tf.add(d2, EPS)) as tf.Tensor2D;
  const eye = tf.eye(n);
  const pos = tf.sum(tf.mul(d, eye), 1);
  // mask the diagonal with a large distance so it is never chosen as the hardest negative
  const masked = tf.add(d, tf.mul(eye, 1e6));
  const hardA = tf.min(masked, 1);
  const hardV = tf.min(masked, 0);
  const la = tf.relu(tf.add(tf.sub(pos, hardA), margin));
  const lv = tf.relu(tf.add(tf.sub(pos, hardV), margin));
  return tf.mean(tf.add(la, lv));
}

export function mseLoss(pred: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(pred, target)));
}
