import { describeStoreConformance } from '../conformance/store.js'
import { memoryStore } from '../../src/index.js'

describeStoreConformance('memoryStore', { make: () => memoryStore() })
